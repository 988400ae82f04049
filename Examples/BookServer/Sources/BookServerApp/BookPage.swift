import EmbedRec
import Foundation

/// The page at `/`: pick a user or tick items, see recommendations as cover cards, click an
/// item for similar ones, in the catalogue's words (readers and books, viewers and films, …). Plain HTML, CSS and JavaScript in one string (no CDN, works offline);
/// the starting data (sample readers, popular books to tick) is embedded when the page is
/// served, so the page needs no endpoint beyond the API's.
enum BookPage {
    /// How many readers the reader picker lists and how many books can be ticked.
    static let sampleReaders = 30
    static let tickableBooks = 48

    struct Bootstrap: Encodable {
        let readers: [RawID]
        let books: [ItemJSON]
        let defaultK: Int
        let maxK: Int
        let model: String
        let ratingScale: [Float]?
        /// The catalogue's words: readers and books, viewers and films, users and items.
        let nouns: CatalogNouns
    }

    static func html(for recommender: Recommender, defaultK: Int, maxK: Int) -> String {
        // The most-rated books (the popularity list a reader with no history gets).
        let popular = recommender.mostRated(k: tickableBooks).recommendations
        let bootstrap = Bootstrap(
            readers: Array(recommender.userIDs.rawIDs.prefix(sampleReaders)),
            books: popular.map { r in ItemJSON(id: r.rawItemID, metadata: recommender.metadata(for: r.rawItemID), untitled: recommender.nouns.untitledItem) },
            defaultK: defaultK, maxK: maxK, model: recommender.model.summary,
            ratingScale: recommender.ratingScale.map { [$0.lowerBound, $0.upperBound] }, nouns: recommender.nouns)
        let json = (try? JSONEncoder().encode(bootstrap)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        // "</" inside a <script> would end it early.
        return template.replacingOccurrences(of: "__BOOTSTRAP__", with: json.replacingOccurrences(of: "</", with: "<\\/"))
    }

    static let template = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>BookServer — EmbedRec</title>
    <style>
      :root { --ink: #1f2430; --muted: #667085; --line: #e4e7ec; --accent: #3b5bdb; --bg: #f7f7f5; }
      * { box-sizing: border-box; }
      body { margin: 0; font: 15px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
      header { background: #20263a; color: #fff; padding: 14px 28px; display: flex; align-items: baseline; gap: 16px; }
      header h1 { margin: 0; font-size: 20px; letter-spacing: .3px; }
      header .model { color: #b8c0d9; font-size: 13px; }
      main { display: grid; grid-template-columns: 300px 1fr; gap: 24px; padding: 22px 28px; }
      aside section { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; margin-bottom: 16px; }
      aside h2 { font-size: 14px; margin: 0 0 10px; text-transform: uppercase; letter-spacing: .6px; color: var(--muted); }
      label { display: block; font-size: 13px; color: var(--muted); margin: 6px 0 3px; }
      select, input[type=number] { width: 100%; padding: 6px 8px; border: 1px solid var(--line); border-radius: 6px; font: inherit; background: #fff; }
      button { margin-top: 10px; width: 100%; padding: 8px; border: 0; border-radius: 6px; background: var(--accent); color: #fff; font: inherit; font-weight: 600; cursor: pointer; }
      button:hover { filter: brightness(1.08); }
      #books { max-height: 360px; overflow-y: auto; margin: 0; padding: 0; list-style: none; }
      #books li { display: flex; align-items: center; gap: 6px; padding: 4px 0; border-bottom: 1px solid #f0f1f3; font-size: 13px; }
      #books li span { flex: 1; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
      #books li select { width: 52px; padding: 2px; font-size: 12px; }
      .results h2 { font-size: 18px; margin: 4px 0 4px; }
      .results .note { color: var(--muted); font-size: 13px; min-height: 18px; margin-bottom: 12px; }
      .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 18px; }
      .card { background: #fff; border: 1px solid var(--line); border-radius: 10px; overflow: hidden; cursor: pointer; transition: transform .12s, box-shadow .12s; }
      .card:hover { transform: translateY(-2px); box-shadow: 0 6px 16px rgba(16, 24, 40, .12); }
      .cover { position: relative; aspect-ratio: 2 / 3; overflow: hidden; }
      .cover img { position: absolute; inset: 0; width: 100%; height: 100%; object-fit: cover; }
      .placeholder { position: absolute; inset: 0; display: flex; flex-direction: column; justify-content: space-between; padding: 14px 12px; color: #fff; }
      .placeholder .ptitle { font: 600 15px/1.25 Georgia, "Times New Roman", serif; display: -webkit-box; -webkit-line-clamp: 5; -webkit-box-orient: vertical; overflow: hidden; }
      .placeholder .pauthor { font-size: 11px; opacity: .85; text-transform: uppercase; letter-spacing: .5px; border-top: 1px solid rgba(255,255,255,.5); padding-top: 6px; }
      .meta { padding: 8px 10px 10px; }
      .title { font-weight: 600; font-size: 13.5px; display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical; overflow: hidden; min-height: 2.5em; }
      .authors { color: var(--muted); font-size: 12px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
      .score { margin-top: 4px; font-size: 12px; color: #b54708; font-weight: 600; }
      .error { color: #b42318; }
      #similar-section { margin-top: 30px; }
      @media (max-width: 760px) { main { grid-template-columns: 1fr; } }
    </style>
    </head>
    <body>
    <header><h1>BookServer</h1><span class="model" id="model"></span></header>
    <main>
      <aside>
        <section>
          <h2 id="reader-heading">A user</h2>
          <label for="reader" id="reader-label">User ID</label>
          <select id="reader"></select>
          <label for="k" id="k-label">How many items (K)</label>
          <input id="k" type="number" min="1">
          <button id="recommend-reader">Recommend for this user</button>
        </section>
        <section>
          <h2 id="books-heading">Or: items you liked</h2>
          <ul id="books"></ul>
          <button id="recommend-books">Recommend for these items</button>
        </section>
      </aside>
      <div>
        <div class="results" id="results-section">
          <h2 id="results-title">Recommendations</h2>
          <div class="note" id="results-note"></div>
          <div class="grid" id="results"></div>
        </div>
        <div class="results" id="similar-section" hidden>
          <h2 id="similar-title">Similar items</h2>
          <div class="note" id="similar-note"></div>
          <div class="grid" id="similar"></div>
        </div>
      </div>
    </main>
    <script>
    "use strict";
    const BOOT = __BOOTSTRAP__;
    // The catalogue's words (readers and books, viewers and films, …), capitalised on demand.
    const N = BOOT.nouns;
    const cap = (w) => w.charAt(0).toUpperCase() + w.slice(1);
    const $ = (id) => document.getElementById(id);

    // A cover colour from the book ID, so placeholders differ but stay stable.
    function coverColour(id) {
      const hue = (Number(id) * 137.508) % 360;
      return `linear-gradient(160deg, hsl(${hue} 45% 42%), hsl(${(hue + 40) % 360} 50% 28%))`;
    }

    function card(book, scoreText) {
      const el = document.createElement("div");
      el.className = "card";
      el.dataset.id = book.id;
      const cover = document.createElement("div");
      cover.className = "cover";
      const ph = document.createElement("div");
      ph.className = "placeholder";
      ph.style.background = coverColour(book.id);
      const pt = document.createElement("div"); pt.className = "ptitle"; pt.textContent = book.title;
      const pa = document.createElement("div"); pa.className = "pauthor"; pa.textContent = book.authors || "";
      ph.append(pt, pa);
      cover.append(ph);
      if (book.imageURL) {
        const img = document.createElement("img");
        img.alt = book.title;
        img.loading = "lazy";
        img.onerror = () => img.remove();   // offline or a broken link: the placeholder shows
        img.src = book.imageURL;
        cover.append(img);
      }
      const meta = document.createElement("div");
      meta.className = "meta";
      const t = document.createElement("div"); t.className = "title"; t.textContent = book.title; t.title = book.title;
      const a = document.createElement("div"); a.className = "authors"; a.textContent = book.authors || "\u00a0";
      const s = document.createElement("div"); s.className = "score"; s.textContent = scoreText;
      meta.append(t, a, s);
      el.append(cover, meta);
      el.addEventListener("click", () => showSimilar(book));
      return el;
    }

    async function getJSON(url, options) {
      const response = await fetch(url, options);
      const body = await response.json().catch(() => ({}));
      if (!response.ok) throw new Error(body.error ? body.error.message : `HTTP ${response.status}`);
      return body;
    }

    function k() { return Math.max(1, Math.min(BOOT.maxK, parseInt($("k").value, 10) || BOOT.defaultK)); }

    function showList(gridId, noteId, books, scoreOf, note) {
      const grid = $(gridId);
      grid.replaceChildren(...books.map((b) => card(b, scoreOf(b))));
      $(noteId).textContent = note;
      $(noteId).classList.remove("error");
    }

    function showError(noteId, gridId, error) {
      $(gridId).replaceChildren();
      $(noteId).textContent = error.message;
      $(noteId).classList.add("error");
    }

    // Stars only for a rating model's predicted rating; a ranking model's score only orders the list.
    const stars = (b) => b.predictedRating != null ? `★ ${b.predictedRating.toFixed(2)} predicted`
      : (b.score != null ? `score ${b.score.toFixed(3)}` : "");

    async function recommendForReader() {
      const user = $("reader").value;
      $("results-title").textContent = `Recommended for ${N.user} ${user}`;
      try {
        const r = await getJSON(`/recommend?user=${encodeURIComponent(user)}&k=${k()}`);
        showList("results", "results-note", r.recommendations, stars,
          r.popularityFallback ? `Unknown ${N.user}: the most-rated ${N.items} instead.` : `The ${r.recommendations.length} ${N.items} the model ranks highest, leaving out what this ${N.user} already has.`);
        document.body.dataset.state = "recommended";
      } catch (e) { showError("results-note", "results", e); document.body.dataset.state = "error"; }
    }

    async function recommendForBooks() {
      const items = [...document.querySelectorAll("#books li")]
        .filter((li) => li.querySelector("input").checked)
        .map((li) => {
          const rating = li.querySelector("select").value;
          // The ID as the catalogue has it: a number, or text such as an ISBN.
          const id = JSON.parse(li.dataset.id);
          return rating ? { id, rating: Number(rating) } : { id };
        });
      $("results-title").textContent = `Recommended for a new ${N.user} (${items.length} ${N.items} liked)`;
      try {
        const r = await getJSON(`/reader?k=${k()}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ items }) });
        showList("results", "results-note", r.recommendations, stars,
          r.popularityFallback ? `No known ${N.item} ticked: the most-rated ${N.items}.` : `Folded in from the ${N.items} you ticked, without retraining.`);
        document.body.dataset.state = "recommended";
      } catch (e) { showError("results-note", "results", e); document.body.dataset.state = "error"; }
    }

    async function showSimilar(book) {
      $("similar-section").hidden = false;
      $("similar-title").textContent = `${cap(N.items)} like “${book.title}”`;
      try {
        const r = await getJSON(`/similar?item=${encodeURIComponent(book.id)}&k=${k()}`);
        showList("similar", "similar-note", r.similar, (b) => `similarity ${b.similarity.toFixed(3)}`, "Nearest by cosine similarity of the item embeddings.");
      } catch (e) { showError("similar-note", "similar", e); }
      $("similar-section").scrollIntoView({ behavior: "smooth" });
    }

    function setUp() {
      $("model").textContent = BOOT.model;
      $("k").value = BOOT.defaultK;
      $("k").max = BOOT.maxK;
      $("reader-heading").textContent = `A ${N.user}`;
      $("reader-label").textContent = `${cap(N.user)} ID`;
      $("k-label").textContent = `How many ${N.items} (K)`;
      $("recommend-reader").textContent = `Recommend for this ${N.user}`;
      $("books-heading").textContent = `Or: ${N.items} you liked`;
      $("recommend-books").textContent = `Recommend for these ${N.items}`;
      $("results-note").textContent = `Pick a ${N.user} or tick some ${N.items}.`;
      $("similar-title").textContent = `Similar ${N.items}`;
      for (const id of BOOT.readers) $("reader").append(new Option(`${cap(N.user)} ${id}`, id));
      // Stars to tick only on a small rating scale (1–5, 0.5–5, 0–10); counts have none.
      const scale = BOOT.ratingScale && BOOT.ratingScale[1] - BOOT.ratingScale[0] <= 10 ? BOOT.ratingScale : null;
      for (const b of BOOT.books) {
        const li = document.createElement("li");
        li.dataset.id = JSON.stringify(b.id);
        const box = document.createElement("input"); box.type = "checkbox";
        const name = document.createElement("span"); name.textContent = b.title; name.title = `${b.title} — ${b.authors || ""}`;
        const rating = document.createElement("select");
        rating.append(new Option("★?", ""));
        if (scale) for (let s = Math.ceil(scale[1]); s >= Math.floor(scale[0]); s--) rating.append(new Option(`${s}★`, s));
        rating.hidden = !scale;
        li.append(box, name, rating);
        $("books").append(li);
      }
      $("recommend-reader").addEventListener("click", recommendForReader);
      $("reader").addEventListener("change", recommendForReader);
      $("recommend-books").addEventListener("click", recommendForBooks);
      // ?user=ID&k=K picks a reader at once (links, and the browser test).
      const params = new URLSearchParams(location.search);
      if (params.get("k")) $("k").value = params.get("k");
      if (params.get("user")) {
        const user = params.get("user");
        if (![...$("reader").options].some((o) => o.value === user)) $("reader").append(new Option(`${cap(N.user)} ${user}`, user));
        $("reader").value = user;
        recommendForReader();
      }
    }
    setUp();
    </script>
    </body>
    </html>
    """#
}
