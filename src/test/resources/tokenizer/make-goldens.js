// Writes NAME.goldens.json for every NAME.patch.json next to this script: what Hugging Face tokenizers
// (npm tokenizers@0.23.2, Rust core) gives on the tokenizer.json the patch derives from its "base" file
// in ../shared (GPT-2's for the Llama-3/Qwen2 styles, stories260K's for the Metaspace ones):
// top-level fields replaced by "set", model fields by "model", "added_tokens" appended.
// TokenizerDerivedGoldenTest applies the same patches in Java.
// Rerun (outside the repository, so node_modules stays out of it):
//   mkdir -p /tmp/tokgold && cd /tmp/tokgold && npm install tokenizers@0.23.2
//   NODE_PATH=/tmp/tokgold/node_modules node /path/to/src/test/resources/tokenizer/make-goldens.js [path/to/shared]
const fs = require('fs');
const path = require('path');
const { Tokenizer } = require('tokenizers');

const here = __dirname;
const shared = process.argv[2] || path.join(here, '../../../../../shared');

const TEXTS = [
  "I'LL be there, I'M sure you'RE right; he'S, she'D, we'VE, it'T",
  "don't won't can't it's I'll you've they'd",
  "'s 'S '\u017f ''s x'sy",
  "1234567 and 12 and 123456789012",
  "3.14159 1,000,000 2024-01-01 v1.2.3",
  "\u0663\u0664\u0665 \u2460\u2461\u2462 \u00bd \u00b2",
  "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8\u3001\u4e2d\u6587\u5b57\u7b26\u3002",
  "emoji \ud83d\ude42\ud83d\udc4d\ud83c\udffd \ud83d\udc68\u200d\ud83d\udc69\u200d\ud83d\udc67 flags \ud83c\uddeb\ud83c\uddf7",
  "line one\nline two\n\n\nend",
  "windows\r\nline\r\n\r\nend\r\n",
  "multiple     spaces    here",
  "tabs\t\tand\t mixed \t whitespace",
  "na\u00efve caf\u00e9 r\u00e9sum\u00e9 Z\u00fcrich \u00c0\u00c9\u00ce\u00d5\u00dc",
  "cafe\u0301 decomposed e\u0301 and A\u030a",
  "",
  " ",
  "   leading and trailing   ",
  "\n",
  "   \n\n   \n",
  "a\n\n\nb  \n c",
  "Hello<|endoftext|> world",
  "<|endoftext|><|endoftext|>",
  "x=1; y = x*2 // comment\n\tif (a && b) { return; }",
  "https://example.com/a?b=c&d=e#frag",
  "MiXeD CaSe WORDS and ALLCAPS",
  "non\u00a0breaking\u00a0space and\u2003em space",
  "\u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac \u03ba\u03b1\u03b9 \u0440\u0443\u0441\u0441\u043a\u0438\u0439 \u0442\u0435\u043a\u0441\u0442",
  "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645",
  "$100.00!!! ??? ... ---",
  "zero\u200bwidth \ufb01 ligature \uff26\uff35\uff2c\uff2c width",
  "<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n",
  "a <mask> b  <mask>c\t<mask>",
  "caf\u00e9 cafe\u0301 caf\u00e9s mycaf\u00e9 caf\u00e9!",
  "The quick brown fox jumps over the lazy dog.",
  "Hello <s> world</s>",
  "<s>start and end</s>",
  "a<unk>b <unk> c",
  "Once upon a time, there was a little girl named Lily.",
];

function derive(patch) {
  const t = JSON.parse(fs.readFileSync(path.join(shared, patch.base), 'utf8'));
  Object.assign(t, patch.set);
  Object.assign(t.model, patch.model);
  t.added_tokens = t.added_tokens.concat(patch.added_tokens);
  return t;
}

async function main() {
  const names = fs.readdirSync(here).filter(f => f.endsWith('.patch.json')).map(f => f.slice(0, -'.patch.json'.length));
  for (const name of names.sort()) {
    const patch = JSON.parse(fs.readFileSync(path.join(here, name + '.patch.json'), 'utf8'));
    const tok = Tokenizer.fromString(JSON.stringify(derive(patch)));
    const cases = [];
    for (const text of TEXTS) {
      const ids = (await tok.encode(text, null, { addSpecialTokens: false })).getIds();
      const idsWithSpecial = (await tok.encode(text, null, { addSpecialTokens: true })).getIds();
      cases.push({
        text,
        ids,
        ids_with_special: idsWithSpecial,
        decoded: await tok.decode(ids, false),
        decoded_skip_special: await tok.decode(idsWithSpecial, true),
      });
    }
    const out = { library: 'tokenizers 0.23.2 (npm, Rust core)', tokenizer: name + '.patch.json applied to ' + patch.base, cases };
    fs.writeFileSync(path.join(here, name + '.goldens.json'), JSON.stringify(out, null, 1) + '\n');
    console.log(name + ': ' + cases.length + ' cases');
  }
}

main().catch(e => { console.error(e); process.exit(1); });
