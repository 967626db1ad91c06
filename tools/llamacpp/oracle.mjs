// llama.cpp (node-llama-cpp's prebuilt CPU binaries) as Shallow's test oracle and speed baseline.
//
//   node tools/llamacpp/oracle.mjs REQUEST.json     one request (a JSON object) from a file, one JSON response on stdout
//   node tools/llamacpp/oracle.mjs                  one request per line on stdin, one response line each on stdout
//
// A request names a GGUF and what to do with it (every part optional):
//   {"model": "x.gguf", "threads": 2, "context_size": 512, "kv_cache_type": "F32", "flash_attention": false,
//    "tokenize": [{"text": "Once upon a time", "special": false, "bos": false}],
//    "generate": [{"prompt": [1, 403, 407], "tokens": 32, "stop_at_eog": true}],
//    "logprobs": [{"tokens": [1, 403, 407, 261], "top": 5}],
//    "bench": {"prefill": [[ids], ...], "decode_prompt": [ids], "decode_tokens": 16, "repeats": 3, "budget_seconds": 60}}
// and the response (one line) is
//   {"ok": true, "llama_cpp": {...versions, system info}, "model": {"vocab_size", "bos", "eos", "add_bos"},
//    "context": {"size", "batch_size", "threads", "kv_key_type", "kv_value_type", "flash_attention"},
//    "tokenize": [[ids]], "generate": [[ids]],
//    "logprobs": [[{"greedy": id, "logprobs": [by token id] | "top": [[id, logprob], ...]}, ... one per position]],
//    "bench": {"prefill": [{"tokens", "seconds": [...], "best_seconds"}, ...], "decode": {"tokens", "prompt_tokens", "seconds", "best_seconds"}}}
// or {"ok": false, "error": "..."}. See README.md (llama.cpp) for what each field means and how it is computed.
import {getLlama, GgmlType, LlamaLogLevel} from "node-llama-cpp";
import {readFileSync} from "node:fs";
import {createInterface} from "node:readline";

// Never build llama.cpp or download its binaries: the prebuilt @node-llama-cpp/linux-x64 package is the only backend
// (node-llama-cpp dist/config.js reads NODE_LLAMA_CPP_SKIP_DOWNLOAD; getLlama's build: "never" refuses to compile).
process.env.NODE_LLAMA_CPP_SKIP_DOWNLOAD = "true";
const NODE_LLAMA_CPP = JSON.parse(readFileSync(new URL("./node_modules/node-llama-cpp/package.json", import.meta.url))).version;

const llama = await getLlama({
    gpu: false, build: "never", usePrebuiltBinaries: true, skipDownload: true, progressLogs: false,
    maxThreads: 0, // 0: a context's "threads" is the number of threads it uses (LlamaContextOptions.threads)
    logLevel: LlamaLogLevel.warn,
    logger: (level, message) => process.stderr.write(`[llama.cpp ${level}] ${message}${message.endsWith("\n") ? "" : "\n"}`)
});
const models = new Map();

async function model(path) {
    if (!models.has(path)) models.set(path, await llama.loadModel({modelPath: path, gpuLayers: 0, useMmap: true}));
    return models.get(path);
}

/** log(p) of a float32 probability; null where it underflowed to 0 (JSON has no -Infinity). */
const log = p => p > 0 ? Math.log(p) : null;

async function handle(req) {
    if (typeof req.model !== "string") throw new Error("request: 'model' (a GGUF path) is required");
    const m = await model(req.model);
    const threads = req.threads ?? 2;
    const kv = req.kv_cache_type ?? "F32";
    const ctx = await m.createContext({
        contextSize: req.context_size ?? 512, sequences: 1, threads: {ideal: threads, min: threads},
        flashAttention: req.flash_attention ?? false, experimentalKvCacheKeyType: kv, experimentalKvCacheValueType: kv,
        batchSize: req.batch_size ?? req.context_size ?? 512, failedCreationRemedy: false
    });
    // node-llama-cpp would shift a full context (drop its first tokens) and go on: refuse instead
    const fits = (n, what) => {
        if (n > ctx.contextSize) throw new Error(`${what}: ${n} tokens do not fit the context of ${ctx.contextSize} (context_size)`);
    };
    try {
        const seq = ctx.getSequence();
        const out = {
            ok: true,
            llama_cpp: {node_llama_cpp: NODE_LLAMA_CPP, release: llama.llamaCppRelease.release, build: llama.buildType, system_info: llama.systemInfo},
            model: {bos: m.tokens.bos, eos: m.tokens.eos, add_bos: m.tokens.shouldPrependBosToken},
            context: {size: ctx.contextSize, batch_size: ctx.batchSize, threads: ctx.currentThreads, kv_key_type: GgmlType[ctx.kvCacheKeyType],
                kv_value_type: GgmlType[ctx.kvCacheValueType], flash_attention: ctx.flashAttention}
        };
        // llama_tokenize(text, add_special = false, parse_special = special) (AddonModel::Tokenize); BOS prepended here on request
        if (req.tokenize) out.tokenize = req.tokenize.map(t => [...(t.bos ? [m.tokens.bos] : []), ...m.tokenize(t.text, t.special ?? false)]);
        if (req.generate) {
            out.generate = [];
            for (const g of req.generate) {
                fits(g.prompt.length + g.tokens, "generate");
                await seq.clearHistory();
                out.generate.push(await greedy(seq, g.prompt, g.tokens, g.stop_at_eog ?? true));
            }
        }
        if (req.logprobs) {
            out.logprobs = [];
            for (const l of req.logprobs) {
                fits(l.tokens.length, "logprobs");
                await seq.clearHistory();
                out.logprobs.push(await logprobs(seq, l.tokens, l.top ?? null));
            }
            const p = out.logprobs.find(x => x.length > 0);
            if (p && p[0].logprobs) out.model.vocab_size = p[0].logprobs.length;
        }
        if (req.bench) {
            for (const p of req.bench.prefill ?? []) fits(p.length, "bench prefill");
            if (req.bench.decode_prompt) fits(req.bench.decode_prompt.length + (req.bench.decode_tokens ?? 16) + 1, "bench decode");
            out.bench = await bench(seq, req.bench);
        }
        return out;
    } finally {
        await ctx.dispose();
    }
}

/** Greedy continuation: llama.cpp's greedy sampler (temperature 0: llama_sampler_init_greedy, the first largest logit). */
async function greedy(seq, prompt, n, stopAtEog) {
    const tokens = [];
    if (n <= 0) return tokens;
    for await (const t of seq.evaluate(prompt, {temperature: 0, yieldEogToken: true})) {
        tokens.push(t);
        if (tokens.length >= n || (stopAtEog && seq.model.isEogToken(t))) break;
    }
    return tokens;
}

/**
 * For each position i, the distribution of the token after tokens[0..i] from one batched evaluation of the sequence:
 * AddonContextSampleTokenWorker's softmax over every vocabulary entry's logit, in float32 (expf of logit - max, a float
 * sum, then a division), returned as log(p) in double. "top": k keeps the k most probable as [id, logprob] pairs,
 * otherwise "logprobs" has one entry per token id.
 */
async function logprobs(seq, tokens, top) {
    const res = await seq.controlledEvaluate(tokens.map(t => [t, {generateNext: {token: true, probabilities: true, options: {temperature: 0}}}]));
    return tokens.map((_, i) => {
        const next = res[i]?.next;
        if (!next?.probabilities) throw new Error(`no probabilities at position ${i}`);
        if (top != null) return {greedy: next.token, top: [...next.probabilities.entries()].slice(0, top).map(([id, p]) => [id, log(p)])};
        const dense = new Array(next.probabilities.size).fill(null);
        for (const [id, p] of next.probabilities) dense[id] = log(p);
        return {greedy: next.token, logprobs: dense};
    });
}

/**
 * Prefill (each prompt of "prefill"): a fresh sequence evaluates the whole prompt in one batch and samples a token after its last (as Shallow's prefill
 * computes the last token's logits). Decode: after the untimed prefill of decode_prompt, decode_tokens greedy steps, each
 * evaluating one token and sampling the next. Each after one untimed warm-up run, repeated until `repeats` runs or
 * `budget_seconds` of timed runs; wall time (performance.now) around the awaited calls.
 */
async function bench(seq, b) {
    const repeats = b.repeats ?? 3, budget = b.budget_seconds ?? 60;
    const timed = async run => {
        await run();
        const seconds = [];
        let total = 0;
        while (seconds.length < repeats && (seconds.length === 0 || total < budget)) {
            const s = await run();
            seconds.push(s);
            total += s;
        }
        return {seconds, best_seconds: Math.min(...seconds)};
    };
    const out = {};
    if (b.prefill) {
        out.prefill = [];
        for (const prompt of b.prefill) {
            out.prefill.push({tokens: prompt.length, ...await timed(async () => {
                await seq.clearHistory();
                const items = prompt.map((t, i) => i === prompt.length - 1 ? [t, {generateNext: {token: true, options: {temperature: 0}}}] : t);
                const t0 = performance.now();
                await seq.controlledEvaluate(items);
                return (performance.now() - t0) / 1000;
            })});
        }
    }
    if (b.decode_prompt) {
        const n = b.decode_tokens ?? 16;
        out.decode = {tokens: n, prompt_tokens: b.decode_prompt.length, ...await timed(async () => {
            await seq.clearHistory();
            const it = seq.evaluate(b.decode_prompt, {temperature: 0, yieldEogToken: true});
            await it.next(); // the prompt's prefill and the first token: not timed
            const t0 = performance.now();
            for (let i = 0; i < n; i++) await it.next();
            const s = (performance.now() - t0) / 1000;
            await it.return();
            return s;
        })};
    }
    return out;
}

async function answer(text) {
    try {
        return JSON.stringify(await handle(JSON.parse(text)));
    } catch (e) {
        return JSON.stringify({ok: false, error: String(e?.message ?? e)});
    }
}

if (process.argv[2]) {
    process.stdout.write(await answer(readFileSync(process.argv[2], "utf8")) + "\n");
} else {
    for await (const line of createInterface({input: process.stdin, crlfDelay: Infinity})) {
        if (line.trim()) process.stdout.write(await answer(line) + "\n");
    }
}
for (const m of models.values()) await m.dispose();
await llama.dispose();
