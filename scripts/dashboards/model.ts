import type { DashboardCursorSync, DashboardLink } from '@grafana/schema';

// Grafana's JSON model (the parts these dashboards use), narrower than @grafana/schema's types:
// index.ts checks every dashboard against those before writing it.

/** Every panel and query reads from the data source the `datasource` variable picks. */
export const DATASOURCE = { type: 'prometheus', uid: '${datasource}' } as const;
export type Datasource = typeof DATASOURCE;

// A type, not an interface: @grafana/schema types targets as records, which only a type alias
// (with its implicit index signature) is assignable to.
export type Target = {
  refId: string;
  datasource: Datasource;
  expr: string;
  legendFormat: string;
  range: boolean;
  instant: boolean;
  format?: 'table';
  exemplar?: boolean;
};

export interface Threshold {
  color: string;
  value: number | null;
}

export interface Override {
  matcher: { id: 'byName' | 'byRegexp'; options: string };
  properties: { id: string; value: unknown }[];
}

export interface ValueMapping {
  type: 'value';
  options: Record<string, { text: string; color: string; index: number }>;
}

export interface GridPos {
  h: number;
  w: number;
  x: number;
  y: number;
}

export interface QueryPanel {
  id: number;
  type: 'timeseries' | 'stat' | 'gauge' | 'bargauge' | 'table';
  title: string;
  description: string;
  gridPos: GridPos;
  datasource: Datasource;
  targets: Target[];
  fieldConfig: { defaults: Record<string, unknown>; overrides: Override[] };
  options: Record<string, unknown>;
  transformations?: { id: string; options: Record<string, unknown> }[];
}

/** A row header: groups the panels below it and holds no query. */
export interface RowPanel {
  id: number;
  type: 'row';
  title: string;
  collapsed: false;
  gridPos: GridPos;
  panels: [];
}

export type Panel = QueryPanel | RowPanel;

export interface Variable {
  name: string;
  label: string;
  type: 'datasource' | 'query';
  [field: string]: unknown;
}

export interface Dashboard {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  schemaVersion: 39;
  version: 1;
  editable: true;
  /** Shared crosshair: hovering one graph marks the same time on every graph. */
  graphTooltip: DashboardCursorSync.Crosshair;
  timezone: 'browser';
  time: { from: 'now-6h'; to: 'now' };
  refresh: '30s';
  links: Partial<DashboardLink>[];
  templating: { list: Variable[] };
  panels: Panel[];
}
