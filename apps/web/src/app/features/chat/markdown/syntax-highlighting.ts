import highlightJs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import c from 'highlight.js/lib/languages/c';
import cpp from 'highlight.js/lib/languages/cpp';
import csharp from 'highlight.js/lib/languages/csharp';
import css from 'highlight.js/lib/languages/css';
import diff from 'highlight.js/lib/languages/diff';
import go from 'highlight.js/lib/languages/go';
import java from 'highlight.js/lib/languages/java';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import kotlin from 'highlight.js/lib/languages/kotlin';
import markdown from 'highlight.js/lib/languages/markdown';
import php from 'highlight.js/lib/languages/php';
import python from 'highlight.js/lib/languages/python';
import ruby from 'highlight.js/lib/languages/ruby';
import rust from 'highlight.js/lib/languages/rust';
import scss from 'highlight.js/lib/languages/scss';
import shell from 'highlight.js/lib/languages/shell';
import sql from 'highlight.js/lib/languages/sql';
import swift from 'highlight.js/lib/languages/swift';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';
import type { HLJSApi, LanguageFn } from 'highlight.js';

/**
 * The languages models answer in most. Each grammar also brings its aliases (`ts`, `py`, `sh`,
 * `html`, `yml`, …). This module is only ever imported lazily, so none of it is in the initial bundle.
 */
const GRAMMARS: Record<string, LanguageFn> = {
  bash, c, cpp, csharp, css, diff, go, java, javascript, json, kotlin, markdown, php, python, ruby, rust, scss,
  shell, sql, swift, typescript, xml, yaml,
};

/** A private highlight.js instance, so these registrations never leak into another user of the library. */
export function createHighlighter(): HLJSApi {
  const highlighter = highlightJs.newInstance();
  for (const [name, grammar] of Object.entries(GRAMMARS)) {
    highlighter.registerLanguage(name, grammar);
  }
  return highlighter;
}
