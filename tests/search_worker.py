"""Query the built search index with Material's own search worker, in the browser, the way the
search box does (same index, same worker, same query transformation and ranking), without
typing: each query returns Material's result groups, best first."""

from __future__ import annotations

_RUN = """async ([queries]) => {
  const config = JSON.parse(document.getElementById("__config").textContent);
  const base = new URL(config.base, location.href);
  const index = await (await fetch(new URL("search/search_index.json", base))).json();
  const worker = new Worker(new URL(config.search, location.href));
  const ask = message => new Promise((resolve, reject) => {
    worker.onmessage = event => resolve(event.data);
    worker.onerror = event => reject(new Error(event.message));
    worker.postMessage(message);
  });
  // Message types of Material's worker: 0 set up, 1 ready, 2 query, 3 result.
  await ask({ type: 0, data: { config: index.config, docs: index.docs, options: { suggest: false } } });
  const answers = {};
  for (const query of queries) {
    const reply = await ask({ type: 2, data: query });
    answers[query] = reply.data.items.map(group => group.map(doc => ({
      location: doc.location, title: doc.title.replace(/<[^>]+>/g, ""), score: doc.score })));
  }
  worker.terminate();
  return answers;
}"""


def search(page, queries: list[str]) -> dict[str, list[list[dict]]]:
    """``page`` is any page of the built site (it names the worker and the index's location).
    Each answer is a list of groups (one per page, best first); in each group the documents come
    best first, as the search box lists them: the page, then its best sections."""
    return page.evaluate(_RUN, [queries])


def first_location(groups: list[list[dict]]) -> str | None:
    """Where the search box's first result leads: the best-scoring document of the first group
    (Enter goes there; the box shows it first under its page's title)."""
    return groups[0][0]["location"] if groups and groups[0] else None
