// The period's Data Docs on the cockpit page: one line per suite run that built them, its index
// and the page of each failed suite. Relative links only (the page is served under <base>/kuota/).
(() => {
  const list = () => document.getElementById("datadocs-list");

  function link(href, text) {
    const a = document.createElement("a");
    a.href = href; a.textContent = text; a.target = "_blank"; a.rel = "noopener";
    return a;
  }

  async function show(periode) {
    const holder = list();
    if (!holder) return;
    holder.innerHTML = "";
    try {
      const r = await fetch(`datadocs?periode=${encodeURIComponent(periode)}`, { credentials: "same-origin" });
      if (!r.ok) throw new Error(`Data Docs: ${r.status}`);
      const { sites } = await r.json();
      for (const site of sites) {
        const li = document.createElement("li");
        li.dataset.suite = site.suite;
        li.append(link(site.index, site.suite),
                  ` ${site.success ? "passed" : "FAILED"}: ${site.expectations} expectations, ${site.failed} failed, ${site.built_at}`);
        for (const view of site.failed_views) li.append(" · ", link(site.pages[view], `quality.${view}`));
        holder.appendChild(li);
      }
      if (!sites.length) holder.innerHTML = "<li>no Data Docs for this period yet</li>";
    } catch (e) {
      const li = document.createElement("li"); li.textContent = e.message; holder.appendChild(li);
    }
  }

  // cockpit.html announces each period it loads.
  document.addEventListener("kuota:periode", (e) => show(e.detail));
})();
