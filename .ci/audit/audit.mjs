// Runs every audit of graphql-http against the GraphQL endpoint given as the
// first argument and fails when a mandatory (MUST) audit fails. The API
// token in SINERGI_TOKEN is sent with every request.
import { auditServer } from 'graphql-http';

const url = process.argv[2];
const token = process.env.SINERGI_TOKEN;
const fetchFn = (input, init = {}) => {
  const headers = new Headers(init.headers);
  if (token) headers.set('Authorization', `Bearer ${token}`);
  return fetch(input, { ...init, headers });
};
const results = await auditServer({ url, fetchFn });
let errors = 0;
for (const r of results) {
  if (r.status !== 'ok') {
    console.log(`${r.status.toUpperCase()} ${r.id} ${r.name}: ${r.reason}`);
  }
  if (r.status === 'error') errors++;
}
const count = (s) => results.filter((r) => r.status === s).length;
console.log(`graphql-http audit: ${count('ok')} ok, ${count('warn')} warnings, ${count('notice')} notices, ${errors} mandatory failures`);
process.exit(errors === 0 ? 0 : 1);
