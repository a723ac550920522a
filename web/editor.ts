import { indentWithTab } from '@codemirror/commands';
import { HighlightStyle, indentUnit, syntaxHighlighting } from '@codemirror/language';
import { Compartment, EditorState, Prec } from '@codemirror/state';
import { EditorView, keymap } from '@codemirror/view';
import { tags } from '@lezer/highlight';
import { basicSetup } from 'codemirror';
import { languageExtension, syntaxOf } from './syntax.js';

/**
 * Colours come from CSS variables (style.css), so the editor follows the page's light or dark
 * scheme without a second theme.
 */
const highlighting = HighlightStyle.define([
  {
    tag: [tags.keyword, tags.controlKeyword, tags.definitionKeyword, tags.moduleKeyword],
    color: 'var(--hl-keyword)',
    fontWeight: '600',
  },
  { tag: [tags.string, tags.special(tags.string)], color: 'var(--hl-string)' },
  { tag: [tags.number, tags.bool, tags.null], color: 'var(--hl-number)' },
  { tag: tags.comment, color: 'var(--hl-comment)', fontStyle: 'italic' },
  {
    tag: [tags.function(tags.variableName), tags.function(tags.propertyName)],
    color: 'var(--hl-function)',
  },
  {
    tag: [tags.definition(tags.variableName), tags.className, tags.definition(tags.className)],
    color: 'var(--hl-definition)',
  },
  { tag: [tags.operator, tags.punctuation], color: 'var(--hl-operator)' },
  { tag: tags.self, color: 'var(--hl-keyword)' },
  // C's #include and the like; Bash's and PHP's $variables.
  { tag: tags.meta, color: 'var(--hl-function)' },
  { tag: tags.special(tags.variableName), color: 'var(--hl-definition)' },
]);

const theme = EditorView.theme({
  '&': {
    height: '100%',
    fontSize: '14px',
    backgroundColor: 'var(--editor-bg)',
    color: 'var(--text)',
  },
  '.cm-scroller': { fontFamily: 'var(--mono)', lineHeight: '1.55' },
  '.cm-content': { caretColor: 'var(--accent)' },
  '.cm-gutters': { backgroundColor: 'var(--editor-gutter)', color: 'var(--muted)', border: 'none' },
  '.cm-activeLine': { backgroundColor: 'var(--editor-active)' },
  '.cm-activeLineGutter': { backgroundColor: 'var(--editor-active)' },
  '&.cm-focused .cm-cursor': { borderLeftColor: 'var(--accent)' },
  '&.cm-focused .cm-selectionBackground, .cm-selectionBackground, ::selection': {
    backgroundColor: 'var(--selection) !important',
  },
  '.cm-tooltip': { backgroundColor: 'var(--surface)', border: '1px solid var(--border)' },
});

export interface CodeEditor {
  view: EditorView;
  getCode(): string;
  setCode(code: string): void;
  focus(): void;
  /** Highlights, indents and names the code as this language (a GET /runtimes `language`). */
  setLanguage(language: string): void;
}

/**
 * A CodeMirror 6 editor: line numbers, syntax highlighting and indentation of the chosen
 * language (syntax.ts), Tab indents (Esc then Tab moves focus on, as CodeMirror documents),
 * Mod-Enter runs.
 */
export function createEditor(
  parent: HTMLElement,
  options: { code: string; language: string; onChange(code: string): void; onRun(): void },
): CodeEditor {
  /** What changes with the language: its highlighting, its indentation, the editor's name. */
  const languageSettings = new Compartment();
  const settingsOf = (language: string) => {
    const syntax = syntaxOf(language);
    return [
      languageExtension(language),
      indentUnit.of(syntax.indent),
      EditorView.contentAttributes.of({ 'aria-label': `${syntax.name} code` }),
    ];
  };
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: options.code,
      extensions: [
        basicSetup,
        languageSettings.of(settingsOf(options.language)),
        syntaxHighlighting(highlighting),
        theme,
        // Above the default keymap, where Mod-Enter would insert a blank line.
        Prec.highest(
          keymap.of([
            {
              key: 'Mod-Enter',
              run: () => {
                options.onRun();
                return true;
              },
            },
          ]),
        ),
        keymap.of([indentWithTab]),
        // On a phone, wrapping beats scrolling sideways through code.
        window.matchMedia('(max-width: 600px)').matches ? EditorView.lineWrapping : [],
        EditorView.updateListener.of((update) => {
          if (update.docChanged) options.onChange(update.state.doc.toString());
        }),
      ],
    }),
  });
  return {
    view,
    getCode: () => view.state.doc.toString(),
    setCode: (code) =>
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: code } }),
    focus: () => view.focus(),
    setLanguage: (language) =>
      view.dispatch({ effects: languageSettings.reconfigure(settingsOf(language)) }),
  };
}
