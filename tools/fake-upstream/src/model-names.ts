/**
 * Turns an id such as `claude-sonnet-4-5` or `gemini-2.5-flash` into the display name the
 * real catalogues use (`Claude Sonnet 4.5`, `Gemini 2.5 Flash`): words capitalized, runs of
 * version numbers joined by dots.
 */
export function displayNameOf(id: string): string {
  const words: string[] = [];
  for (const part of id.split('-')) {
    const previous = words[words.length - 1];
    if (/^\d+$/.test(part) && previous !== undefined && /^\d+(\.\d+)*$/.test(previous)) {
      words[words.length - 1] = `${previous}.${part}`;
    } else {
      words.push(part.charAt(0).toUpperCase() + part.slice(1));
    }
  }
  return words.join(' ');
}

/** A fixed creation time, so listings are identical from run to run. */
export const MODEL_CREATED_AT_SECONDS = 1_735_689_600;
export const MODEL_CREATED_AT_ISO = new Date(MODEL_CREATED_AT_SECONDS * 1000).toISOString().replace('.000Z', 'Z');
