/**
 * The JSON paths of a schema's property schemas (recursively, through properties, $defs, items, prefixItems, oneOf,
 * anyOf, allOf) that carry no description of at least 10 characters: every schema clln ships documents each field.
 */
export function undocumented(schema: unknown, path = '#'): string[] {
  if (typeof schema !== 'object' || schema === null) return [];
  const s = schema as Record<string, unknown>;
  const out: string[] = [];
  for (const key of ['properties', '$defs'] as const) {
    const map = s[key] as Record<string, Record<string, unknown>> | undefined;
    for (const [name, sub] of Object.entries(map ?? {})) {
      if (typeof sub.description !== 'string' || sub.description.length < 10) out.push(`${path}/${key}/${name}`);
      out.push(...undocumented(sub, `${path}/${key}/${name}`));
    }
  }
  for (const key of ['items', 'prefixItems'] as const) {
    const sub = s[key];
    const list = Array.isArray(sub) ? sub : sub && typeof sub === 'object' ? [sub] : [];
    list.forEach((item, i) => {
      const obj = item as Record<string, unknown>;
      if (!obj.$ref && typeof obj.description !== 'string') out.push(`${path}/${key}/${i}`);
      out.push(...undocumented(item, `${path}/${key}/${i}`));
    });
  }
  for (const key of ['oneOf', 'anyOf', 'allOf'] as const) {
    const list = s[key];
    if (Array.isArray(list)) list.forEach((item, i) => out.push(...undocumented(item, `${path}/${key}/${i}`)));
  }
  return out;
}
