const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Whether `text` holds at most `max` opening brackets, strings included: then it cannot nest deeper
 * than `max`. Counted with indexOf, which skips the text between brackets far faster than a loop
 * over its characters, and given up at the first bracket past `max`.
 */
const OPENINGS = ['{', '['];
const openingsAtMost = (text: string, max: number): boolean => {
  let left = max;
  for (const bracket of OPENINGS) {
    for (let at = text.indexOf(bracket); at !== -1; at = text.indexOf(bracket, at + 1)) {
      left -= 1;
      if (left < 0) return false;
    }
  }
  return true;
};

/**
 * Whether JSON text nests arrays and objects deeper than `max`, found by one pass over the text
 * (brackets inside strings do not count) without recursion and without parsing: deep input is
 * refused before anything recursive (JSON.parse, a codec, a serialiser) can overflow the stack.
 * Text that is not JSON gives some answer; JSON.parse then refuses it.
 */
export const nestsDeeperThan = (text: string, max: number): boolean => {
  if (openingsAtMost(text, max)) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i += 1;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      depth += 1;
      if (depth > max) return true;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) depth -= 1;
  }
  return false;
};
