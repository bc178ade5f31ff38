/**
 * The dashboard's only stylesheet, served from /dashboard/assets/dashboard.css so the CSP can
 * forbid inline styles and every script. On a phone, wide tables scroll inside themselves and
 * inline forms wrap, so no page scrolls sideways.
 */
export const DASHBOARD_CSS = `
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#111827;background:#f9fafb}
a{color:#1d4ed8}
header.top{display:flex;gap:1.5rem;align-items:center;padding:.75rem 1.5rem;background:#111827;color:#fff;flex-wrap:wrap}
header.top a{color:#e5e7eb;text-decoration:none}
header.top a[aria-current=page]{color:#fff;font-weight:600;text-decoration:underline}
header.top .brand{font-weight:700;color:#fff}
header.top form{margin-left:auto}
main{max-width:1100px;margin:0 auto;padding:1.5rem}
h1{font-size:1.5rem;margin:.25rem 0 1rem}
h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(240px,1fr));gap:1rem}
.card{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:1rem}
.card .figure{font-size:2rem;font-weight:700}
.card .meta{color:#6b7280;font-size:.85rem}
.trend-up{color:#15803d}.trend-down{color:#b91c1c}
.chart{width:100%;height:auto;display:block}
.target-bar{width:160px;height:12px}
table{width:100%;border-collapse:collapse;background:#fff;border:1px solid #e5e7eb}
th,td{text-align:left;padding:.45rem .6rem;border-bottom:1px solid #e5e7eb;vertical-align:top}
th{background:#f3f4f6;font-size:.85rem}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.status{display:inline-block;padding:0 .5rem;border-radius:999px;font-size:.8rem;font-weight:600}
.status-met,.status-resolved{background:#dcfce7;color:#166534}
.status-not_met,.status-open,.status-overdue{background:#fee2e2;color:#991b1b}
.status-not_enough_data,.status-acknowledged{background:#fef3c7;color:#92400e}
form.inline{display:inline-flex;gap:.4rem;align-items:center;margin:.2rem 0}
input[type=text],input[type=password],select{padding:.35rem .5rem;border:1px solid #d1d5db;border-radius:6px;font:inherit}
button{padding:.35rem .8rem;border:0;border-radius:6px;background:#2563eb;color:#fff;font:inherit;cursor:pointer}
button.secondary{background:#4b5563}
.notice{padding:.75rem 1rem;border-radius:8px;background:#eff6ff;border:1px solid #bfdbfe;margin-bottom:1rem}
.error{background:#fef2f2;border-color:#fecaca}
.sign-in{max-width:420px;margin:4rem auto}
.sign-in input{width:100%;margin:.5rem 0 1rem}
.muted{color:#6b7280}
blockquote{margin:.25rem 0;padding:.25rem .75rem;border-left:3px solid #93c5fd;background:#fff;overflow-wrap:anywhere}
nav.states{margin:1rem 0}
code{overflow-wrap:anywhere}
@media (max-width:640px){main{padding:1rem .75rem}header.top{padding:.75rem;gap:.75rem 1rem}table{display:block;max-width:100%;overflow-x:auto}form.inline{display:flex;flex-wrap:wrap}form.inline input[type=text]{flex:1 1 10rem;min-width:0}}
`;
