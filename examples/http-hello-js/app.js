// A web service in JavaScript: `stratus serve` runs it with a fresh
// sandbox per request. Built into a component by scripts/main.sh with
// componentize-js (scripts/componentize.sh).
addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  const name = url.searchParams.get('name') ?? 'world';
  event.respondWith(new Response(`Hello, ${name}! (${event.request.method} ${url.pathname})\n`, {
    headers: { 'content-type': 'text/plain' },
  }));
});
