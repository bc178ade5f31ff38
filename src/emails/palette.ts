/**
 * Colours chosen to keep contrast in light mode, in clients that invert colours, and (through
 * `darkModeStyle`) in clients that honour `prefers-color-scheme`. Backgrounds are always set
 * explicitly next to text colours so no client pairs our text with its own background.
 */
export const palette = {
  page: "#f4f4f5",
  card: "#ffffff",
  text: "#1f2937",
  muted: "#4b5563",
  rule: "#e5e7eb",
  font: "-apple-system, BlinkMacSystemFont, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif",
} as const;

/**
 * Overrides for clients that support dark mode media queries; the inline styles stay the base.
 * The card's top border keeps the accent colour: only its other sides darken.
 */
export const darkModeStyle = `:root{color-scheme:light dark;supported-color-schemes:light dark}
@media (prefers-color-scheme: dark){
.rp-page{background-color:#111827 !important}
.rp-card{background-color:#1f2937 !important;border-right-color:#374151 !important;border-bottom-color:#374151 !important;border-left-color:#374151 !important}
.rp-text{color:#f3f4f6 !important}
.rp-muted,.rp-muted a{color:#d1d5db !important}
}
@media only screen and (max-width:480px){.rp-card-cell{padding:20px 12px !important}}`;
