/** What the bench's charts share: Vega-Lite's spec parts, the reference line, and headless rendering to SVG. */
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** Vega-Lite exports only its top-level spec type: the parts are taken from it. */
export type Encoding = NonNullable<Extract<TopLevelSpec, { mark: unknown }>['encoding']>;
export type Layer = Extract<TopLevelSpec, { layer: unknown }>['layer'][number];
export type Panel = Extract<TopLevelSpec, { hconcat: unknown }>['hconcat'][number];

export const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** A dashed vertical line at `value` across the panel: what the bars are measured against. */
export const referenceLine = (x: Encoding['x'], value: number, description: string): Layer => ({
  data: { values: [{ value, description }] },
  mark: { type: 'rule', strokeDash: [5, 3], color: '#444' },
  encoding: { x, description: { field: 'description' } },
});

/** The SVG text of a Vega-Lite spec (no browser, no canvas: `renderer: 'none'` only builds the scenegraph). */
export const svgOf = async (spec: TopLevelSpec): Promise<string> => {
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
};
