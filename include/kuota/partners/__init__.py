"""The exchange with the programme's partners (exchange.md): contract (the contract as data),
layout (where every exchanged file lives), manifest and inbound (a partner's file checked whole),
portal (the schools' files) and exchange (the provider batches, ``run_exchange``)."""
