import { indentWithTab } from '@codemirror/commands';
import { python } from '@codemirror/lang-python';
import { HighlightStyle, indentUnit, syntaxHighlighting } from '@codemirror/language';
import { EditorState, Prec } from '@codemirror/state';
import { EditorView, keymap } from '@codemirror/view';
import { tags } from '@lezer/highlight';
import { basicSetup } from 'codemirror';

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
}

/**
 * A CodeMirror 6 editor for Python: line numbers, syntax highlighting, 4-space indentation,
 * Tab indents (Esc then Tab moves focus on, as CodeMirror documents), Mod-Enter runs.
 */
export function createEditor(
  parent: HTMLElement,
  options: { code: string; label: string; onChange(code: string): void; onRun(): void },
): CodeEditor {
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: options.code,
      extensions: [
        basicSetup,
        python(),
        indentUnit.of('    '),
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
        EditorView.contentAttributes.of({ 'aria-label': options.label }),
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
  };
}
