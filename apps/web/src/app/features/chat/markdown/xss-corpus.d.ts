/** Typing for the XSS corpus the specs (and the e2e suite) read: the app has no JSON modules otherwise. */
declare module '*/xss-corpus.json' {
  const corpus: readonly { readonly name: string; readonly markdown: string }[];
  export default corpus;
}
