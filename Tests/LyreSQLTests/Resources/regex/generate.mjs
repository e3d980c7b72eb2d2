// Generates cases.json: random JavaScript regular expressions with inputs and what V8's
// RegExp answers for them (search: `re.test(input)`; whole: the pattern matching all of
// the input). LinearRegexTests checks Lyre's engine against these answers.
// Run with Node (any version with lookbehind): node generate.mjs > cases.json
let state = 21n;
function next() { // SplitMix64, so the file is reproducible
  state = (state + 0x9E3779B97F4A7C15n) & 0xFFFFFFFFFFFFFFFFn;
  let z = state;
  z = ((z ^ (z >> 30n)) * 0xBF58476D1CE4E5B9n) & 0xFFFFFFFFFFFFFFFFn;
  z = ((z ^ (z >> 27n)) * 0x94D049BB133111EBn) & 0xFFFFFFFFFFFFFFFFn;
  return Number((z ^ (z >> 31n)) % 1000000007n);
}
const pick = (xs) => xs[next() % xs.length];
const atoms = ["a", "b", "A", "é", ".", "[ab]", "[^a]", "[a-c]", "[A-Z]", "\\d", "\\w", "\\s", "\\W", "\\D", "\\S", "\\b", "\\B",
  "^", "$", "\\u00e9", "\\x41", "\\-", "{", "}", "]", "[\\d_]", "[^\\s]", "\\n", "[]", "[^]", "\\.", "-", " "];
const quantifiers = ["", "", "", "*", "+", "?", "{2}", "{0,2}", "{1,}", "*?", "+?", "??", "{0}"];
function pattern(depth) {
  const parts = [];
  const n = 1 + (next() % 3);
  for (let i = 0; i < n; i++) {
    let atom = depth < 3 && next() % 5 === 0
      ? pick(["(", "(?:", "(?<g" + depth + ">"]) + alternation(depth + 1) + ")"
      : pick(atoms);
    parts.push(atom + pick(quantifiers));
  }
  return parts.join("");
}
function alternation(depth) {
  const n = next() % 4 === 0 ? 2 : 1;
  return Array.from({ length: n }, () => pattern(depth)).join("|");
}
const alphabet = ["a", "a", "b", "A", "B", "1", " ", "_", "\n", "é", "É", "-", "."];
const cases = [];
while (cases.length < 4000) {
  const p = alternation(0);
  const flags = pick(["", "", "i", "m", "s", "im", "is", "ms"]);
  let re, whole;
  try {
    re = new RegExp(p, flags);
    whole = new RegExp("(?<![\\s\\S])(?:" + p + ")(?![\\s\\S])", flags);
  } catch { continue; }
  for (let k = 0; k < 4; k++) {
    const input = Array.from({ length: next() % 9 }, () => pick(alphabet)).join("");
    cases.push({ pattern: p, flags, input, search: re.test(input), whole: whole.test(input) });
  }
}
console.log(JSON.stringify(cases, null, 0).replace(/\},\{/g, "},\n{"));
