import { allowedPatternKeepsFolderSafe } from '../src/allowed-pattern';
import { FOLDER_PARAMETER_PATTERN } from '../src/validation';

describe('allowedPatternKeepsFolderSafe', () => {
  test.each([
    ['the documented folder pattern', FOLDER_PARAMETER_PATTERN],
    ['lowercase names', '^[a-z0-9-]+$'],
    ['a name, then more characters that do not end with "/"', '^[^*?$/]([^*?$]*[^*?$/])?$'],
    ['names with escaped punctuation', '^[a-z0-9\\-_.]+$'],
    ['\\w and \\d', '^\\w[\\w-]{0,62}$'],
    ['tenant names from a list', '^(?:alice|bob|carol)$'],
    ['nested folders of fixed names', '^team/(alpha|beta)$'],
    ['a lazy quantifier', '^[a-z]+?$'],
  ])('accepts %s: %s', (_, pattern) => {
    expect(allowedPatternKeepsFolderSafe(pattern)).toBe(true);
  });

  test.each([
    // Widening: a wildcard or a policy variable can get through.
    ['the old advice, which allows a trailing "/"', '^[^*?$]+$'],
    ['any character', '^.+$'],
    ['a range that spans "*"', '^[!-~]+$'],
    ['a negated class that forgets "?"', '^[^*$/]+$'],
    ['\\W, which admits "*"', '^[a-z\\W]+$'],
    ['an alternative with "*"', '^(bob|\\*)$'],
    ['"$" in a class', '^[a-z$]+$'],
    // Trailing or leading "/": "bob/" would become "bob//".
    ['a trailing "/"', '^[a-z]+/$'],
    ['an optional trailing "/"', '^[a-z]+/?$'],
    ['a class that may end with "/"', '^[a-z/]+$'],
    ['a leading "/"', '^/[a-z]+$'],
    ['a group that may end with "/"', '^([a-z]+/)+$'],
    // The empty value would be the folder "/".
    ['the empty value', '^[a-z]*$'],
    ['an optional group only', '^(bob)?$'],
    // Not understood: keep warning.
    ['an unanchored pattern', '[a-z]+'],
    ['a pattern anchored at one end', '^[a-z]+'],
    ['a lookahead', '^(?!.*\\*)[a-z]+$'],
    ['a back-reference', '^([a-z])\\1$'],
    ['a Unicode property', '^\\p{L}+$'],
    ['a class intersection', '^[a-z&&[^x]]+$'],
    ['an escaped final "$"', '^[a-z]+\\$'],
    ['an unbalanced group', '^([a-z]+$'],
    ['a "$" in the middle', '^a$|^b$'],
  ])('refuses %s: %s', (_, pattern) => {
    expect(allowedPatternKeepsFolderSafe(pattern)).toBe(false);
  });

  test('agrees with the regex engine on what the accepted patterns let through', () => {
    // Each accepted pattern, run as a JavaScript RegExp (the same syntax as CloudFormation's
    // Java patterns for these constructs), refuses the values that would widen or double a "/".
    const bad = ['', '*', 'bob*', 'b?b', '${aws:username}', 'bob/', '/bob', 'team/alpha/'];
    for (const pattern of [FOLDER_PARAMETER_PATTERN, '^[a-z0-9-]+$', '^[^*?$/]([^*?$]*[^*?$/])?$', '^team/(alpha|beta)$']) {
      expect(allowedPatternKeepsFolderSafe(pattern)).toBe(true);
      for (const value of bad) expect(new RegExp(pattern).test(value)).toBe(false);
    }
    expect(new RegExp(FOLDER_PARAMETER_PATTERN).test('team/alpha')).toBe(true);
  });
});
