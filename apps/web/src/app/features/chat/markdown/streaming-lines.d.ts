/**
 * Markdown lines the streaming property tests build their documents from, chosen for the ways a
 * line can start a block, continue one lazily, or turn the lines above it into something else (a
 * table's delimiter row, a setext underline). A JSON file, like the XSS corpus, so that the specs
 * share it without the app's build compiling test code.
 */
declare module '*/streaming-lines.json' {
  const lines: readonly string[];
  export default lines;
}
