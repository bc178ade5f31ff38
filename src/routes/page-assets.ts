import { createRouter } from "../http/env.ts";
import { pageStylesheet } from "../pages/layout.tsx";

/**
 * The stylesheet of the pages people see (`/r/...`, `/u/...`). Its path names its accent colour
 * and version, so the current version is cached by browsers for good: a person opening several
 * score links downloads it once. An older version's path (a page from before an upgrade) gets the
 * current stylesheet, cached briefly.
 */
export const pageAssetRoutes = createRouter();

pageAssetRoutes.get("/assets/pages/:file", (c) => {
  const sheet = pageStylesheet(c.req.param("file"));
  if (!sheet) return c.notFound();
  c.header("Content-Type", "text/css; charset=utf-8");
  c.header(
    "Cache-Control",
    sheet.current ? "public, max-age=31536000, immutable" : "public, max-age=300",
  );
  return c.body(sheet.text);
});
