/**
 * The `.remap` grammar as a chevrotain CST parser: a pure grammar, no actions. `build-ast.ts` turns its CST into the
 * AST. Statements never span lines, so `parse-remap.ts` runs the `statement` rule once per line: a syntax error costs
 * one line, and every broken line gets its own diagnostic.
 *
 * Each rule carries its EBNF production; `grammar/README.md` lists them all.
 */
import type { IParserErrorMessageProvider, IToken, TokenType } from 'chevrotain';
import { CstParser, EOF } from './chevrotain-runtime.ts';
import * as T from './lexer.ts';

/** Says what a token is, in the user's words: `'foo'`, or "the end of the line". */
function describeToken(token: IToken): string {
  if (token.tokenType === EOF) return 'the end of the line';
  return `'${token.image}'`;
}

/**
 * What was expected, by rule and token, where the token's own label would not tell the user enough.
 * Keys are `rule:TokenName`.
 */
const EXPECTED_IN_CONTEXT: Readonly<Record<string, string>> = {
  'mapping:LeftArrow': "'<-' after the slice",
  'mapping:Arrow': "'->' or '<-' after the key pattern",
  'letStatement:Word': "a name after 'let'",
  'letStatement:Equals': "'=' after the name",
  'letStatement:Colon': "a range like '7:519' after '='",
  'onMismatchStatement:Mismatch': "'mismatch' after 'on'",
  'castStatement:To': "'to' after the key pattern",
  'castStatement:Word': "a dtype like 'float32' after 'to'",
  'freezeStatement:Steps': "'steps' after the number",
  'lrStatement:Word': "a factor like 'x0.1' after 'lr'",
  'initSpec:Word': "an init kind like 'kaiming' or 'normal(0.02)'",
  'initSpec:RParen': "')' after the init arguments",
  'slice:RBracket': "']' or ',' in the slice",
  'sliceDim:Word': 'a number',
  'number:Word': 'a number',
  'expectStatement:Comparator': "a comparison like '>=' or 'within' after the metric",
};

/** Builds "expected X, found Y" messages; see `EXPECTED_IN_CONTEXT`. */
const errorMessages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual, ruleName }) {
    const what = EXPECTED_IN_CONTEXT[`${ruleName}:${expected.name}`] ?? labelOf(expected);
    return `expected ${what}, found ${describeToken(actual)}`;
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    return `expected the end of the line after the statement, found ${describeToken(firstRedundant)}`;
  },
  buildNoViableAltMessage({ expectedPathsPerAlt, actual, customUserDescription }) {
    const what = customUserDescription ?? expectedPathsPerAlt.flatMap((alt) => alt.map((p) => labelOf(p[0]!))).join(' or ');
    return `expected ${what}, found ${describeToken(actual[0]!)}`;
  },
  buildEarlyExitMessage({ expectedIterationPaths, actual, customUserDescription }) {
    const what = customUserDescription ?? expectedIterationPaths.map((p) => labelOf(p[0]!)).join(' or ');
    return `expected ${what}, found ${describeToken(actual[0]!)}`;
  },
};

function labelOf(token: TokenType): string {
  return token.LABEL ?? token.name;
}

/** The grammar. Instantiated once (`remapParser`) and reused: chevrotain's self-analysis is the expensive part. */
export class RemapParser extends CstParser {
  /**
   * Option objects of OR / AT_LEAST_ONE / MANY_SEP, built on a rule's first run and reused (chevrotain's "caching
   * arrays of alternatives"): without it every rule call would allocate its alternatives' closures again.
   */
  private readonly cached: Record<string, any> = {};

  /**
   * @param options.validate run chevrotain's grammar checks (ambiguities, left recursion...). They cost ~15 ms at
   *   the start of every `plan` and cannot fail at run time for a fixed grammar, so only test/grammar runs them.
   */
  constructor(options: { validate?: boolean } = {}) {
    super([...T.ALL_TOKENS], {
      errorMessageProvider: errorMessages,
      recoveryEnabled: false,
      maxLookahead: 2,
      // No node locations: `build-ast.ts` takes every span from tokens, and tracking costs a write per token.
      nodeLocationTracking: 'none',
      skipValidations: options.validate !== true,
    });
    this.performSelfAnalysis();
  }

  // statement := versionStatement | inStatement | letStatement | onMismatchStatement | expectStatement
  //            | 'optional'? keyRule
  statement = this.RULE('statement', () => {
    this.OR((this.cached.statement ??= {
      DEF: [
        { ALT: () => this.SUBRULE(this.versionStatement) },
        { ALT: () => this.SUBRULE(this.inStatement) },
        { ALT: () => this.SUBRULE(this.letStatement) },
        { ALT: () => this.SUBRULE(this.onMismatchStatement) },
        { ALT: () => this.SUBRULE(this.expectStatement) },
        {
          ALT: () => {
            this.OPTION(() => this.CONSUME(T.Optional));
            this.SUBRULE(this.keyRule);
          },
        },
      ],
      ERR_MSG: "a key pattern or a statement keyword ('drop', 'reinit', 'allow', 'expect', ...)",
    }));
  });

  // keyRule := dropStatement | reinitStatement | allowStatement | freezeStatement | lrStatement | castStatement | mapping
  // (the statements that match keys, so the only ones 'optional' may mark)
  keyRule = this.RULE('keyRule', () => {
    this.OR((this.cached.keyRule ??= {
      DEF: [
        { ALT: () => this.SUBRULE(this.dropStatement) },
        { ALT: () => this.SUBRULE(this.reinitStatement) },
        { ALT: () => this.SUBRULE(this.allowStatement) },
        { ALT: () => this.SUBRULE(this.freezeStatement) },
        { ALT: () => this.SUBRULE(this.lrStatement) },
        { ALT: () => this.SUBRULE(this.castStatement) },
        { ALT: () => this.SUBRULE(this.mapping) },
      ],
      // Reached with a token no alternative takes only after 'optional': 'statement' chose this branch for it.
      ERR_MSG: "a rule that matches keys after 'optional' (a rename, a slice assignment, 'drop', 'reinit', 'allow', 'freeze', 'lr' or 'cast')",
    }));
  });

  // versionStatement := 'version' number
  versionStatement = this.RULE('versionStatement', () => {
    this.CONSUME(T.Version);
    this.SUBRULE(this.number);
  });

  // inStatement := 'in' pattern (',' pattern)*
  inStatement = this.RULE('inStatement', () => {
    this.CONSUME(T.In);
    this.AT_LEAST_ONE_SEP((this.cached.inStatement ??= {
      SEP: T.Comma,
      DEF: () => this.SUBRULE(this.pattern),
      ERR_MSG: "a state dict path like 'model.nets' after 'in'",
    }));
  });

  // letStatement := 'let' Word '=' range
  letStatement = this.RULE('letStatement', () => {
    this.CONSUME(T.Let);
    this.CONSUME(T.Word);
    this.CONSUME(T.Equals);
    this.SUBRULE(this.range);
  });

  // dropStatement := 'drop' pattern
  dropStatement = this.RULE('dropStatement', () => {
    this.CONSUME(T.Drop);
    this.SUBRULE(this.pattern);
  });

  // reinitStatement := 'reinit' pattern ('with' initSpec)?
  reinitStatement = this.RULE('reinitStatement', () => {
    this.CONSUME(T.Reinit);
    this.SUBRULE(this.pattern);
    this.OPTION(() => {
      this.CONSUME(T.With);
      this.SUBRULE(this.initSpec);
    });
  });

  // onMismatchStatement := 'on' 'mismatch' ('error' | 'reinit' ('with' initSpec)?)
  onMismatchStatement = this.RULE('onMismatchStatement', () => {
    this.CONSUME(T.On);
    this.CONSUME(T.Mismatch);
    this.OR((this.cached.onMismatchStatement ??= {
      DEF: [
        { ALT: () => this.CONSUME(T.ErrorKeyword) },
        {
          ALT: () => {
            this.CONSUME(T.Reinit);
            this.OPTION(() => {
              this.CONSUME(T.With);
              this.SUBRULE(this.initSpec);
            });
          },
        },
      ],
      ERR_MSG: "'error' or 'reinit' after 'on mismatch'",
    }));
  });

  // allowStatement := 'allow' ('missing' | 'unexpected') pattern
  allowStatement = this.RULE('allowStatement', () => {
    this.CONSUME(T.Allow);
    this.OR((this.cached.allowStatement ??= {
      DEF: [{ ALT: () => this.CONSUME(T.Missing) }, { ALT: () => this.CONSUME(T.Unexpected) }],
      ERR_MSG: "'missing' or 'unexpected' after 'allow'",
    }));
    this.SUBRULE(this.pattern);
  });

  // expectStatement := 'expect' metric ( 'within' pattern
  //                    | Comparator number '%'? ('tensors' | 'params')? ('in' pattern)? )
  expectStatement = this.RULE('expectStatement', () => {
    this.CONSUME(T.Expect);
    this.SUBRULE(this.metric);
    this.OR((this.cached.expectStatement ??= {
      DEF: [
        {
          ALT: () => {
            this.CONSUME(T.Within);
            this.SUBRULE(this.pattern);
          },
        },
        {
          ALT: () => {
            this.CONSUME(T.ComparatorToken);
            this.SUBRULE(this.number);
            this.OPTION(() => this.CONSUME(T.Percent));
            this.OPTION2(() =>
              this.OR2((this.cached.expectStatement2 ??= {
                DEF: [{ ALT: () => this.CONSUME(T.Tensors) }, { ALT: () => this.CONSUME(T.Params) }],
              })),
            );
            this.OPTION3(() => {
              this.CONSUME(T.In);
              this.SUBRULE2(this.pattern);
            });
          },
        },
      ],
      ERR_MSG: "a comparison like '>=' or 'within' after the metric",
    }));
  });

  // metric := Word | Keyword
  metric = this.RULE('metric', () => {
    this.OR((this.cached.metric ??= {
      DEF: [{ ALT: () => this.CONSUME(T.Word) }, { ALT: () => this.CONSUME(T.Keyword) }],
      ERR_MSG: "a metric like 'loaded' or 'reinit' after 'expect'",
    }));
  });

  // freezeStatement := 'freeze' pattern ('for' number 'steps')?
  freezeStatement = this.RULE('freezeStatement', () => {
    this.CONSUME(T.Freeze);
    this.SUBRULE(this.pattern);
    this.OPTION(() => {
      this.CONSUME(T.For);
      this.SUBRULE(this.number);
      this.CONSUME(T.Steps);
    });
  });

  // lrStatement := 'lr' Word ('.' Word)? pattern     (the factor, like 'x0.1', is written without spaces)
  lrStatement = this.RULE('lrStatement', () => {
    this.CONSUME(T.Lr);
    this.CONSUME(T.Word, { LABEL: 'factor' });
    this.OPTION(() => {
      this.CONSUME(T.Dot, { LABEL: 'factorDot' });
      this.CONSUME2(T.Word, { LABEL: 'factorFraction' });
    });
    this.SUBRULE(this.pattern);
  });

  // castStatement := 'cast' pattern 'to' Word
  castStatement = this.RULE('castStatement', () => {
    this.CONSUME(T.Cast);
    this.SUBRULE(this.pattern);
    this.CONSUME(T.To);
    this.CONSUME(T.Word);
  });

  // mapping := pattern ( '->' pattern | slice? '<-' ( slice | 'source' pattern slice? ) )
  mapping = this.RULE('mapping', () => {
    this.SUBRULE(this.pattern, { LABEL: 'left' });
    this.OR((this.cached.mapping ??= {
      DEF: [
        {
          ALT: () => {
            this.CONSUME(T.Arrow);
            this.SUBRULE2(this.pattern, { LABEL: 'right' });
          },
        },
        {
          ALT: () => {
            this.OPTION(() => this.SUBRULE(this.slice, { LABEL: 'leftSlice' }));
            this.CONSUME(T.LeftArrow);
            this.OR2((this.cached.mapping2 ??= {
              DEF: [
                { ALT: () => this.SUBRULE2(this.slice, { LABEL: 'rightSlice' }) },
                {
                  ALT: () => {
                    this.CONSUME(T.Source);
                    this.SUBRULE3(this.pattern, { LABEL: 'source' });
                    this.OPTION2(() => this.SUBRULE3(this.slice, { LABEL: 'rightSlice' }));
                  },
                },
              ],
              ERR_MSG: "a slice like '[:, 7:519]' or 'source KEY' after '<-'",
            }));
          },
        },
      ],
      ERR_MSG: "'->' or '<-' after the key pattern",
    }));
  });

  // pattern := part+ ('.' (Keyword | part) part*)*       part := Word | Quoted | Capture | '*' | '**'
  // (one segment's parts are written without spaces between them; after '.', a keyword is an ordinary segment)
  pattern = this.RULE('pattern', () => {
    this.AT_LEAST_ONE((this.cached.pattern ??= { DEF: () => this.CONSUME(T.Part), ERR_MSG: 'a key pattern' }));
    this.MANY(() => {
      this.CONSUME(T.Dot);
      this.OR((this.cached.pattern2 ??= {
        DEF: [{ ALT: () => this.CONSUME(T.Keyword) }, { ALT: () => this.CONSUME2(T.Part) }],
        ERR_MSG: "a key segment after '.'",
      }));
      this.MANY2(() => this.CONSUME3(T.Part));
    });
  });

  // slice := '[' sliceDim (',' sliceDim)* ']'
  slice = this.RULE('slice', () => {
    this.CONSUME(T.LBracket);
    this.AT_LEAST_ONE_SEP((this.cached.slice ??= { SEP: T.Comma, DEF: () => this.SUBRULE(this.sliceDim), ERR_MSG: "a range like '0:512' or ':'" }));
    this.CONSUME(T.RBracket);
  });

  // sliceDim := range | Word          (a Word alone names a 'let' range)
  sliceDim = this.RULE('sliceDim', () => {
    this.OR((this.cached.sliceDim ??= {
      DEF: [
        { ALT: () => this.SUBRULE(this.range) },
        { ALT: () => this.CONSUME(T.Word, { LABEL: 'name' }) },
      ],
      ERR_MSG: "a range like '0:512', ':' or a 'let' name",
    }));
  });

  // range := Word? ':' Word?
  range = this.RULE('range', () => {
    this.OPTION(() => this.CONSUME(T.Word, { LABEL: 'start' }));
    this.CONSUME(T.Colon);
    this.OPTION2(() => this.CONSUME2(T.Word, { LABEL: 'stop' }));
  });

  // initSpec := Word ('(' number (',' number)* ')')?
  initSpec = this.RULE('initSpec', () => {
    this.CONSUME(T.Word);
    this.OPTION(() => {
      this.CONSUME(T.LParen);
      this.MANY_SEP((this.cached.initSpec ??= { SEP: T.Comma, DEF: () => this.SUBRULE(this.number) }));
      this.CONSUME(T.RParen);
    });
  });

  // number := Word ('.' Word)?      (digits, sign and exponent are checked when the AST is built)
  number = this.RULE('number', () => {
    this.CONSUME(T.Word, { LABEL: 'whole' });
    this.OPTION(() => {
      this.CONSUME(T.Dot);
      this.CONSUME2(T.Word, { LABEL: 'fraction' });
    });
  });
}

/** The one parser instance. */
export const remapParser = new RemapParser();
