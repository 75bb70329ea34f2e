CREATE DATABASE warehouse OWNER kuota;
