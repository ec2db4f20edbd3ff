/** Attribute readers shared by the tool XML parsers; errors name the element's file and line. */
import { ToolLoadError } from '../errors.ts';
import type { XmlElement } from './dom.ts';

/** Galaxy's string_as_bool: "true", "yes", "on", "1" (any case) are true. */
export function stringAsBool(value: string | undefined | null): boolean {
  return ['true', 'yes', 'on', '1'].includes(String(value ?? '').trim().toLowerCase());
}

export function attr(el: XmlElement, name: string): string | undefined {
  return el.attrs.get(name);
}

export function boolAttr(el: XmlElement, name: string, fallback: boolean): boolean {
  const v = el.attrs.get(name);
  return v === undefined ? fallback : stringAsBool(v);
}

export function numberAttr(el: XmlElement, name: string, integer = false): number | undefined {
  const raw = el.attrs.get(name);
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = Number(raw.trim());
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    throw new ToolLoadError(`attribute ${name}="${raw}" of <${el.tag}> is not ${integer ? 'an integer' : 'a number'}`, {
      file: el.file,
      line: el.line,
    });
  }
  return n;
}

export function requireAttr(el: XmlElement, name: string): string {
  const v = el.attrs.get(name);
  if (v === undefined || v === '') {
    throw new ToolLoadError(`<${el.tag}> needs a "${name}" attribute`, { file: el.file, line: el.line });
  }
  return v;
}

export function attrsRecord(el: XmlElement, skip: string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of el.attrs) if (!skip.includes(k)) out[k] = v;
  return out;
}

export function loc(el: XmlElement): { file: string; line: number } {
  return { file: el.file, line: el.line };
}
