/**
 * The web app manifest (served at /manifest.webmanifest) and the icon it names, so the browser
 * client can be installed as an app: its own window, Parley's name and colours.
 */

/** The "P" on indigo, as the page's favicon. */
export const ICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512"><rect width="512" height="512" rx="112" fill="#4f46e5"/><text x="256" y="356" font-size="300" font-family="sans-serif" font-weight="700" fill="#fff" text-anchor="middle">P</text></svg>`;

export const MANIFEST = {
  name: "Parley",
  short_name: "Parley",
  description: "Chat that never loses a message.",
  start_url: "/",
  scope: "/",
  display: "standalone",
  background_color: "#f4f5f8",
  theme_color: "#4f46e5",
  icons: [{ src: "/icon.svg", sizes: "any", type: "image/svg+xml", purpose: "any" }],
} as const;
