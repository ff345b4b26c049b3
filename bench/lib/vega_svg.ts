// The one door to vega-lite and vega: a chart spec in, an SVG string out, rendered headless in
// Node (vega's View with no renderer, then toSVG; no canvas, nothing downloaded). vega-lite 6
// declares node >= 22 in its package.json, but what this uses runs on Node 20 (checked on
// v20.20.2). Specs are plain data; the loosely typed vega calls stay in this file.

import { View, parse } from 'vega';
import { compile } from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';

export type ChartSpec = TopLevelSpec;

/** Renders `spec` to a standalone SVG document. */
export async function chartSvg(spec: ChartSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
