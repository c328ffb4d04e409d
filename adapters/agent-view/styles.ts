/**
 * The screen pop's only stylesheet, inlined in a <style> element so that the page needs no
 * external resource. Its SHA-256 goes into the Content-Security-Policy (CSP Level 2 hash
 * source), so the policy can forbid every other style and every script.
 * Classes only: inline style attributes would need 'unsafe-inline'.
 */
import { createHash } from 'node:crypto';

export const PAGE_CSS = `
:root{color-scheme:light dark;--bg:#f6f7f9;--card:#fff;--fg:#1d2330;--muted:#5b6475;--line:#dde1e8;--caller:#e8f1ff;--assistant:#eefaf1;--system:#f3f0fa}
@media (prefers-color-scheme:dark){:root{--bg:#15181e;--card:#1e232b;--fg:#e6e9ef;--muted:#9aa3b2;--line:#2e3440;--caller:#1d2a3d;--assistant:#1c2d22;--system:#282335}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:46rem;margin:0 auto;padding:1.25rem}
h1{font-size:1.25rem;margin:0 0 .75rem}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:0 0 1rem;padding:.75rem 1rem;background:var(--card);border:1px solid var(--line);border-radius:.5rem}
.facts dt{color:var(--muted)}
.facts dd{margin:0;font-variant-numeric:tabular-nums}
ol.turns{list-style:none;margin:0;padding:0}
.turn{margin:.5rem 0;padding:.6rem .85rem;border:1px solid var(--line);border-radius:.5rem;background:var(--card)}
.turn.caller{background:var(--caller);margin-right:3rem}
.turn.assistant{background:var(--assistant);margin-left:3rem}
.turn.system{background:var(--system);font-size:.9rem}
.turn header{display:flex;gap:.75rem;align-items:baseline;font-size:.8rem;color:var(--muted)}
.who{font-weight:600;text-transform:uppercase;letter-spacing:.04em}
.rtype{margin-left:auto;font-family:ui-monospace,monospace}
.text{margin:.25rem 0 0;white-space:pre-wrap;overflow-wrap:anywhere}
kbd{font-family:ui-monospace,monospace;font-size:1rem;padding:.05rem .4rem;margin-right:.2rem;border:1px solid var(--line);border-bottom-width:2px;border-radius:.25rem;background:var(--card)}
.empty,.note{color:var(--muted)}
footer{margin-top:1.5rem;font-size:.8rem;color:var(--muted)}
.agent-message{margin:0 0 1rem;padding:.75rem 1rem;background:var(--card);border:1px solid var(--line);border-left:4px solid var(--muted);border-radius:.5rem}
.agent-message h2{margin:0;font-size:.8rem;font-weight:600;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
`.trim();

/** CSP hash source of PAGE_CSS, e.g. 'sha256-…'. */
export const PAGE_CSS_HASH = `'sha256-${createHash('sha256').update(PAGE_CSS, 'utf8').digest('base64')}'`;
