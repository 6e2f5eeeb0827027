// The alias forms that name a base entry, stripped in this order; the first id found in the table wins.
// Nothing else is stripped: an older `-preview-MM-DD` checkpoint or an undated `-preview` had prices of
// their own, so they stay unknown rather than borrow the base model's.
const datedPreview = /-preview-(0[1-9]|1[0-2])-20\d{2}$/;
const aliasRules: Array<(id: string) => string[]> = [
  (id) => [id.replace(/^models\//, '')],
  (id) => [id.replace(/-latest$/, '')],
  // Stable version pins: gemini-2.0-flash-001 is gemini-2.0-flash.
  (id) => [id.replace(/-\d{3}$/, '')],
  // gemini-3-pro-preview-11-2025 keeps its `-preview` entry; gemini-2.5-flash-preview-09-2025 is a
  // checkpoint of gemini-2.5-flash.
  (id) => (datedPreview.test(id) ? [id.replace(datedPreview, '-preview'), id.replace(datedPreview, '')] : [id]),
];

/** The table id a model id (as requested or as reported in `modelVersion`) is priced under, if any. */
export function resolveModelId(model: string, knownIds: ReadonlySet<string>): string | undefined {
  let id = model;
  if (knownIds.has(id)) return id;
  for (const strip of aliasRules) {
    const forms = strip(id);
    const known = forms.find((form) => knownIds.has(form));
    if (known) return known;
    id = forms.at(-1) as string;
  }
  return undefined;
}
