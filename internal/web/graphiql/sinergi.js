// GraphiQL for Sinergi, from this server's own copies of GraphiQL and React
// (internal/web/graphiql): nothing is fetched from elsewhere.
//
// The API token lives in this page's memory only. GraphiQL's own storage
// (tabs, history, headers) is kept in memory too, so neither the token nor
// a query holding personal data is written to the browser's storage.
(function () {
  'use strict';
  var token = '';
  document.getElementById('token').addEventListener('input', function (e) {
    token = e.target.value.trim();
  });
  document.getElementById('token-bar').addEventListener('submit', function (e) { e.preventDefault(); });

  var memory = {};
  var storage = {
    getItem: function (k) { return Object.prototype.hasOwnProperty.call(memory, k) ? memory[k] : null; },
    setItem: function (k, v) { memory[k] = String(v); },
    removeItem: function (k) { delete memory[k]; },
    clear: function () { memory = {}; },
    get length() { return Object.keys(memory).length; }
  };

  function fetcher(params, options) {
    var headers = { 'Content-Type': 'application/json', 'Accept': 'application/json' };
    var extra = (options && options.headers) || {};
    Object.keys(extra).forEach(function (k) { headers[k] = extra[k]; });
    if (token) { headers.Authorization = 'Bearer ' + token; }
    return fetch('/graphql', { method: 'POST', headers: headers, body: JSON.stringify(params) })
      .then(function (res) { return res.json(); });
  }

  // ?query= opens the page with a query, as links to it do.
  var search = new URLSearchParams(window.location.search);
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(React.createElement(GraphiQL, {
    fetcher: fetcher,
    storage: storage,
    shouldPersistHeaders: false,
    defaultQuery: search.get('query') || '# Paste your API token above, then ask, for example:\n{ viewer { role account } }\n',
    query: search.get('query') || undefined
  }));
})();
