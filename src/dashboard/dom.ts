/*
 * Building the page's nodes. Every node is made with DOM calls and every text goes in as
 * textContent: no job-controlled text is ever parsed as HTML.
 */

/** Attributes of a new node; `text` is its text content. */
export type Attributes = Readonly<Record<string, string>> & { readonly text?: string };

const svgNamespace = 'http://www.w3.org/2000/svg';

export function byId<T extends HTMLElement>(id: string): T {
  return document.getElementById(id) as T;
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  children: readonly (Node | null)[] = [],
): HTMLElementTagNameMap[K] {
  return fill(document.createElement(tag), attributes, children);
}

export function svg(tag: string, attributes: Attributes = {}, children: readonly (Node | null)[] = []): SVGElement {
  return fill(document.createElementNS(svgNamespace, tag) as SVGElement, attributes, children);
}

function fill<E extends Element>(node: E, attributes: Attributes, children: readonly (Node | null)[]): E {
  for (const [key, value] of Object.entries(attributes)) {
    if (key === 'text') node.textContent = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child) node.appendChild(child);
  return node;
}

/** Puts `children` in place of what `parent` holds, in one change to the document. */
export function replace(parent: Element, children: readonly (Node | null)[]): void {
  const fragment = document.createDocumentFragment();
  for (const child of children) if (child) fragment.appendChild(child);
  parent.replaceChildren(fragment);
}

/** A param's or metric's value as the table shows it. */
export function text(value: unknown): string {
  return value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value);
}

/** A duration in milliseconds, short: `4.2s`, `3m12s`, `2h5m`. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '';
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  return s < 3600 ? `${Math.floor(s / 60)}m${Math.round(s % 60)}s` : `${Math.floor(s / 3600)}h${Math.round((s % 3600) / 60)}m`;
}
