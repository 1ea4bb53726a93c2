/**
 * Whether a CfnParameter's `allowedPattern` keeps a folder prefix safe: a conservative reading of
 * the regular expression. It answers true only for patterns it fully understands (anchored,
 * literals, character classes, groups, alternation, quantifiers) that refuse every value with
 * `*`, `?` or `$`, a leading or trailing `/`, and the empty value. Anything else (lookarounds,
 * back-references, unknown escapes, unanchored patterns) is "not known safe".
 */

/** A set of characters, asked only about single characters. */
type CharTest = (c: string) => boolean;

type Node =
  | { readonly kind: 'atom'; readonly admits: CharTest }
  | { readonly kind: 'seq'; readonly items: Node[] }
  | { readonly kind: 'alt'; readonly options: Node[] }
  | { readonly kind: 'repeat'; readonly child: Node; readonly min: number };

class Unsupported extends Error {}

const CLASS_ESCAPES: Record<string, CharTest> = {
  d: c => /\d/.test(c),
  w: c => /\w/.test(c),
  s: c => /\s/.test(c),
  D: c => !/\d/.test(c),
  W: c => !/\w/.test(c),
  S: c => !/\s/.test(c),
};

/** Punctuation that an escape makes literal; letters and digits after `\` mean something else. */
const isPunctuation = (c: string | undefined): c is string => c !== undefined && /^[!-/:-@[-`{-~]$/.test(c);

class Parser {
  private i = 0;
  constructor(private readonly src: string) {}

  public parse(): Node {
    const node = this.alternation();
    if (this.i !== this.src.length) throw new Unsupported();
    return node;
  }

  private peek(): string | undefined {
    return this.src[this.i];
  }

  private alternation(): Node {
    const options = [this.sequence()];
    while (this.peek() === '|') {
      this.i++;
      options.push(this.sequence());
    }
    return options.length === 1 ? options[0] : { kind: 'alt', options };
  }

  private sequence(): Node {
    const items: Node[] = [];
    while (this.i < this.src.length && this.peek() !== '|' && this.peek() !== ')') {
      items.push(this.quantified(this.atom()));
    }
    return { kind: 'seq', items };
  }

  private atom(): Node {
    const c = this.src[this.i++];
    switch (c) {
      case '(': {
        if (this.peek() === '?') {
          if (this.src[this.i + 1] !== ':') throw new Unsupported(); // lookaround, named or flag groups
          this.i += 2;
        }
        const inner = this.alternation();
        if (this.src[this.i++] !== ')') throw new Unsupported();
        return inner;
      }
      case '[': return { kind: 'atom', admits: this.characterClass() };
      case '.': return { kind: 'atom', admits: () => true };
      case '\\': return { kind: 'atom', admits: this.escape() };
      case '*': case '+': case '?': case '{': case '}': case ')': case ']': case '^': case '$':
        throw new Unsupported();
      default: return { kind: 'atom', admits: x => x === c };
    }
  }

  private escape(): CharTest {
    const c = this.src[this.i++];
    if (c !== undefined && CLASS_ESCAPES[c]) return CLASS_ESCAPES[c];
    if (isPunctuation(c)) return x => x === c;
    throw new Unsupported();
  }

  private characterClass(): CharTest {
    const negated = this.peek() === '^';
    if (negated) this.i++;
    if (this.peek() === ']') throw new Unsupported(); // `[]...]` differs between regex dialects
    const members: CharTest[] = [];
    while (this.peek() !== ']') {
      const c = this.src[this.i++];
      if (c === undefined || c === '[' || (c === '&' && this.peek() === '&')) throw new Unsupported();
      let low: string | undefined;
      if (c === '\\') {
        const e = this.src[this.i++];
        if (e !== undefined && CLASS_ESCAPES[e]) {
          members.push(CLASS_ESCAPES[e]);
          continue;
        }
        if (!isPunctuation(e)) throw new Unsupported();
        low = e;
      } else {
        low = c;
      }
      if (this.peek() === '-' && this.src[this.i + 1] !== ']' && this.src[this.i + 1] !== undefined) {
        this.i++;
        let high = this.src[this.i++];
        if (high === '\\') {
          high = this.src[this.i++];
          if (!isPunctuation(high)) throw new Unsupported();
        } else if (high === '[') {
          throw new Unsupported();
        }
        const [from, to] = [low, high!];
        members.push(x => x >= from && x <= to);
      } else {
        const literal = low;
        members.push(x => x === literal);
      }
    }
    this.i++;
    const inClass: CharTest = x => members.some(member => member(x));
    return negated ? x => !inClass(x) : inClass;
  }

  private quantified(node: Node): Node {
    const c = this.peek();
    let min: number;
    if (c === '*' || c === '?') {
      min = 0;
      this.i++;
    } else if (c === '+') {
      min = 1;
      this.i++;
    } else if (c === '{') {
      const m = /^\{(\d+)(,\d*)?\}/.exec(this.src.slice(this.i));
      if (!m) throw new Unsupported();
      min = Number(m[1]);
      this.i += m[0].length;
    } else {
      return node;
    }
    // Lazy and possessive forms match the same strings.
    if (this.peek() === '?' || this.peek() === '+') this.i++;
    return { kind: 'repeat', child: node, min };
  }
}

function nullable(node: Node): boolean {
  switch (node.kind) {
    case 'atom': return false;
    case 'seq': return node.items.every(nullable);
    case 'alt': return node.options.some(nullable);
    case 'repeat': return node.min === 0 || nullable(node.child);
  }
}

/** Whether any character of a match could be `c` (over-approximated: every atom counts). */
function mayContain(node: Node, c: string): boolean {
  switch (node.kind) {
    case 'atom': return node.admits(c);
    case 'seq': return node.items.some(item => mayContain(item, c));
    case 'alt': return node.options.some(option => mayContain(option, c));
    case 'repeat': return mayContain(node.child, c);
  }
}

/** Whether a match could end (or, with `fromStart`, begin) with `c`. */
function mayEdge(node: Node, c: string, fromStart: boolean): boolean {
  switch (node.kind) {
    case 'atom': return node.admits(c);
    case 'alt': return node.options.some(option => mayEdge(option, c, fromStart));
    case 'repeat': return mayEdge(node.child, c, fromStart);
    case 'seq': {
      const items = fromStart ? node.items : [...node.items].reverse();
      for (const item of items) {
        if (mayEdge(item, c, fromStart)) return true;
        if (!nullable(item)) return false;
      }
      return false;
    }
  }
}

/**
 * True when every value `pattern` admits is a folder name this library can turn into a prefix
 * safely: not empty, no `*`, `?` or `$` (wildcards and policy variables), no leading or trailing
 * `/` (the construct appends one). False when it admits such a value, or when unsure.
 */
export function allowedPatternKeepsFolderSafe(pattern: string): boolean {
  if (!pattern.startsWith('^') || !pattern.endsWith('$') || pattern.endsWith('\\$') || pattern.length < 2) return false;
  let root: Node;
  try {
    root = new Parser(pattern.slice(1, -1)).parse();
  } catch (e) {
    if (e instanceof Unsupported) return false;
    throw e;
  }
  return !nullable(root)
    && !['*', '?', '$'].some(c => mayContain(root, c))
    && !mayEdge(root, '/', true)
    && !mayEdge(root, '/', false);
}
