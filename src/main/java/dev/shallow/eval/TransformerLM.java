package dev.shallow.eval;

import dev.shallow.ShallowException;
import dev.shallow.analysis.Progress;
import dev.shallow.transformer.KVCache;
import dev.shallow.transformer.LayerSchedule;
import dev.shallow.transformer.MemoryBudget;
import dev.shallow.transformer.Transformer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A {@link Transformer} answering lm-evaluation-harness requests the way its Hugging Face model does:
 * the same token split ({@link HarnessEncoding}), the same scores. With {@link PrefixSharing} on, requests whose
 * contexts are the same tokens (the choices of one question) share one forward pass over the context, and prefixes
 * that several contexts start with (few-shot examples) are computed once ({@link ScoringPlan}); each continuation runs
 * on a copy of the KV cache it continues. Work is batched up to {@code batchTokens} tokens computed per forward call,
 * in a fixed order, so a request list always gives the same numbers.
 */
public final class TransformerLM implements LanguageModel {
    private final Transformer transformer;
    private final HarnessEncoding encoding;
    private final int batchTokens;
    private final PrefixSharing sharing;
    private final MemoryBudget memory;
    private final int vocab;

    public TransformerLM(Transformer transformer, HarnessEncoding encoding, int batchTokens, PrefixSharing sharing) {
        this(transformer, encoding, batchTokens, sharing, MemoryBudget.DEFAULT);
    }

    /** {@code memory}: over it, log-likelihoods (and so perplexities) are scored layer by layer, with the same results; generation always runs in memory. */
    public TransformerLM(Transformer transformer, HarnessEncoding encoding, int batchTokens, PrefixSharing sharing, MemoryBudget memory) {
        if (batchTokens < 1) throw new ShallowException("batch tokens must be at least 1, got " + batchTokens);
        this.transformer = transformer;
        this.encoding = encoding;
        this.batchTokens = batchTokens;
        this.sharing = sharing;
        this.memory = memory;
        this.vocab = transformer.model().config().vocabSize();
    }

    public HarnessEncoding encoding() {
        return encoding;
    }

    /** Each list's responses, one list after another. */
    @Override
    public List<List<Response>> runEach(List<List<Request>> lists, List<String> phases, Progress progress) {
        List<List<Response>> out = new ArrayList<>();
        for (int i = 0; i < lists.size(); i++) out.add(run(lists.get(i), progress, phases.get(i)));
        return out;
    }

    /** The responses to {@code requests}, in order; progress counts the tokens the model reads. */
    public List<Response> run(List<Request> requests, Progress progress, String phase) {
        List<HarnessEncoding.Pair> pairs = new ArrayList<>();
        int[] firstPair = new int[requests.size() + 1];
        List<Integer> generations = new ArrayList<>();
        for (int r = 0; r < requests.size(); r++) {
            switch (requests.get(r)) {
                case Request.Loglikelihood ll -> pairs.addAll(encoding.pieces(ll.context(), ll.continuation()));
                case Request.Rolling rolling -> pairs.addAll(encoding.rollingWindows(rolling.text()));
                case Request.Generate g -> generations.add(r);
            }
            firstPair[r + 1] = pairs.size();
        }
        ScoringPlan plan = plan(pairs);
        long total = plan.tokens();
        List<int[]> prompts = new ArrayList<>();
        for (int r : generations) {
            Request.Generate g = (Request.Generate) requests.get(r);
            prompts.add(encoding.generationContext(g.context(), g.maxTokens()));
            total += prompts.getLast().length + g.maxTokens();
        }
        Counter counter = new Counter(progress, phase, total);

        double[] logLik = new double[pairs.size()];
        boolean[] greedy = new boolean[pairs.size()];
        score(plan, logLik, greedy, counter);
        String[] generated = new String[requests.size()];
        generate(requests, generations, prompts, generated, counter);
        counter.finish();

        List<Response> out = new ArrayList<>(requests.size());
        for (int r = 0; r < requests.size(); r++) {
            int from = firstPair[r], to = firstPair[r + 1];
            double sum = 0;
            boolean allGreedy = true;
            int tokens = 0;
            for (int p = from; p < to; p++) {
                sum += logLik[p];
                allGreedy &= greedy[p];
                tokens += pairs.get(p).continuation().length;
            }
            out.add(switch (requests.get(r)) {
                case Request.Loglikelihood ll -> new Response.Loglikelihood(sum, allGreedy);
                case Request.Rolling rolling -> new Response.Rolling(sum, tokens);
                case Request.Generate g -> new Response.Generated(generated[r]);
            });
        }
        return out;
    }

    /** log P(continuation | context) of each already tokenised pair, scored as {@link #run} scores log-likelihood requests. */
    public double[] logLikelihoods(List<HarnessEncoding.Pair> pairs) {
        double[] logLik = new double[pairs.size()];
        score(plan(pairs), logLik, new boolean[pairs.size()], new Counter(Progress.NONE, "", 0));
        return logLik;
    }

    /** Tokens read so far, reported to the progress callback. */
    private static final class Counter {
        private final Progress progress;
        private final String phase;
        private final long total;
        private long done;

        Counter(Progress progress, String phase, long total) {
            this.progress = progress;
            this.phase = phase;
            this.total = total;
        }

        void add(long tokens) {
            at(done + tokens);
        }

        void at(long tokens) {
            done = tokens;
            progress.update(phase, Math.min(done, total), total);
        }

        void finish() {
            progress.update(phase, total, total);
        }
    }

    /** The plan of the pairs' forward work: each pair truncated as the harness does, grouped by context, shared as {@link #sharing} says. */
    ScoringPlan plan(List<HarnessEncoding.Pair> pairs) {
        return ScoringPlan.of(group(pairs), sharing, batchTokens, transformer::cacheBytes);
    }

    /** Truncates each pair as the harness does ({@code (ctx + cont)[-(max_length + 1):][:-1]}) and groups equal contexts. */
    private List<ScoringPlan.Group> group(List<HarnessEncoding.Pair> pairs) {
        int max = encoding.maxLength();
        Map<Key, ScoringPlan.Group> groups = new LinkedHashMap<>();
        for (int p = 0; p < pairs.size(); p++) {
            int[] ctx = pairs.get(p).context(), cont = pairs.get(p).continuation();
            if (cont.length == 0) throw new ShallowException("a log-likelihood request has a continuation of no tokens (context ending \"" + encoding.tokenizer().decode(Arrays.copyOfRange(ctx, Math.max(0, ctx.length - 8), ctx.length), false) + "\")");
            int over = ctx.length + cont.length - (max + 1);
            if (over > 0) ctx = Arrays.copyOfRange(ctx, over, ctx.length);
            Key key = sharing.enabled() ? new Key(ctx, -1) : new Key(ctx, p);
            ScoringPlan.Group g = groups.computeIfAbsent(key, k -> new ScoringPlan.Group(k.ids(), new ArrayList<>(), new ArrayList<>()));
            g.members().add(p);
            g.continuations().add(cont);
        }
        return new ArrayList<>(groups.values());
    }

    /** Token ids as a map key (and, when prefixes are not shared, the pair index that keeps every pair apart). */
    private record Key(int[] ids, int pair) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.pair == pair && Arrays.equals(k.ids, ids);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(ids) * 31 + pair;
        }
    }

    /**
     * Scores the plan's batches, each one unit of the memory budget's {@link LayerSchedule}: in memory batch after batch,
     * or, for a model over the budget, layer by layer.
     */
    private void score(ScoringPlan plan, double[] logLik, boolean[] greedy, Counter counter) {
        if (plan.overBound) {
            counter.progress.note(String.format(Locale.ROOT, "prefix sharing: shared prefixes beyond the prefix cache bound of %s are recomputed "
                    + "by each request that starts with them", MemoryBudget.size(sharing.cacheBytes())));
        }
        List<Chunk> chunks = new ArrayList<>();
        for (ScoringPlan.Batch b : plan.batches) chunks.add(new Chunk(b, logLik, greedy));
        LayerSchedule schedule = memory.schedule(transformer, chunks);
        if (schedule.layerMajor()) counter.progress.note(schedule.reason());
        long before = counter.done;
        schedule.run(transformer, chunks, done -> counter.at(before + done));
    }

    /**
     * A batch of the plan: its passes run layer by layer; before a pass runs a layer, each of its segments that starts
     * with a copy of its parent's cache copies that layer's keys and values; after the last pass, the batch drops the
     * layer from the caches it frees.
     */
    private final class Chunk implements LayerSchedule.Unit {
        private final ScoringPlan.Batch batch;
        private final double[] logLik;
        private final boolean[] greedy;
        private final List<ScoringPlan.Segment> tailSegments;
        private final long tokens;
        private final int[] layers = transformer.layers();
        private Transformer.Pass[] passes;
        private Transformer.Pass tailPass;

        Chunk(ScoringPlan.Batch batch, double[] logLik, boolean[] greedy) {
            this.batch = batch;
            this.logLik = logLik;
            this.greedy = greedy;
            this.tailSegments = batch.tailSegments();
            this.tokens = batch.tokens();
        }

        @Override
        public long tokens() {
            return tokens;
        }

        /** All passes' residual streams. */
        @Override
        public long residentBytes() {
            return 4L * transformer.model().config().hiddenSize() * tokens();
        }

        @Override
        public int widestPass() {
            return batch.widestPass();
        }

        @Override
        public void begin() {
            passes = new Transformer.Pass[batch.passes.size()];
            for (int i = 0; i < passes.length; i++) passes[i] = begin(batch.passes.get(i));
            tailPass = begin(tailSegments);
        }

        /**
         * A pass appending each segment's tokens to its cache: a new one, or its parent's when it continues it; then the pass's
         * padding, if any (tokens of id 0 on a cache of their own, whose logits come last and are not read).
         */
        private Transformer.Pass begin(List<ScoringPlan.Segment> segments) {
            int n = segments.size(), padding = ScoringPlan.Batch.padding(segments), rows = n + (padding > 0 ? 1 : 0);
            int[][] seqs = new int[rows][];
            KVCache[] caches = new KVCache[rows];
            int[] positions = new int[rows];
            if (padding > 0) {
                seqs[n] = new int[padding];
                caches[n] = transformer.newCache(padding);
            }
            for (int i = 0; i < n; i++) {
                ScoringPlan.Segment s = segments.get(i);
                s.cache = s.continues ? s.parent.cache : transformer.newCache(s.capacity);
                seqs[i] = s.tokens();
                caches[i] = s.cache;
                positions[i] = s.from;
            }
            return transformer.begin(seqs, caches, positions);
        }

        @Override
        public void layer(int l, Transformer.Workspace ws) {
            for (int i = 0; i < passes.length; i++) layer(batch.passes.get(i), passes[i], l, ws);
            layer(tailSegments, tailPass, l, ws);
            int next = nextLayer(l);
            for (ScoringPlan.Segment s : batch.frees) {
                if (next < 0) s.cache.dropLayer(l);
                else s.cache.moveLayer(l, next);
            }
        }

        /** The layer run after {@code l}, or -1 after the last. */
        private int nextLayer(int l) {
            for (int i = 0; i + 1 < layers.length; i++) if (layers[i] == l) return layers[i + 1];
            return -1;
        }

        private static void layer(List<ScoringPlan.Segment> segments, Transformer.Pass pass, int l, Transformer.Workspace ws) {
            for (ScoringPlan.Segment s : segments) if (s.copies()) s.cache.copyLayer(s.parent.cache, l, s.from);
            pass.layer(l, ws);
        }

        @Override
        public void finish() {
            float[] logits = tailPass.finish(true);
            int row = 0;
            for (ScoringPlan.Tail t : batch.tails) {
                int[] cont = t.continuation();
                double sum = 0;
                boolean argmax = true;
                for (int j = 0; j < cont.length; j++, row++) {
                    // log P(cont_j | ctx, cont_<j) = log softmax(logits of the token before it)[cont_j]
                    sum += LogProbs.logProb(logits, row * vocab, vocab, cont[j]);
                    argmax &= argmax(logits, row * vocab) == cont[j];
                }
                logLik[t.pair()] = sum;
                greedy[t.pair()] = argmax;
            }
            for (ScoringPlan.Segment s : batch.frees) s.cache = null;
            passes = null;
            tailPass = null;
        }
    }

    /** The first index of the largest logit (torch.argmax). */
    private int argmax(float[] logits, int off) {
        int best = 0;
        for (int j = 1; j < vocab; j++) if (logits[off + j] > logits[off + best]) best = j;
        return best;
    }

    /** Greedy generation, a batch of prompts at a time, each until a stop string, EOS or its token budget. */
    private void generate(List<Request> requests, List<Integer> which, List<int[]> prompts, String[] out, Counter counter) {
        int eos = encoding.tokenizer().eosId().orElse(-1);
        List<Integer> indices = java.util.stream.IntStream.range(0, which.size()).boxed().toList();
        for (List<Integer> run : LayerSchedule.runs(indices, i -> prompts.get(i).length, batchTokens)) {
            int from = run.getFirst(), to = from + run.size(), n = run.size();
            long tokens = run.stream().mapToLong(i -> prompts.get(i).length).sum();
            Request.Generate[] reqs = new Request.Generate[n];
            List<String>[] stops = new List[n];
            KVCache[] caches = new KVCache[n];
            int[][] generated = new int[n][];
            int[] count = new int[n];
            boolean[] done = new boolean[n];
            for (int b = 0; b < n; b++) {
                reqs[b] = (Request.Generate) requests.get(which.get(from + b));
                stops[b] = encoding.stopStrings(reqs[b].until());
                caches[b] = transformer.newCache(prompts.get(from + b).length + reqs[b].maxTokens());
                generated[b] = new int[reqs[b].maxTokens()];
            }
            float[] logits = transformer.forward(prompts.subList(from, to).toArray(int[][]::new), caches, false, null);
            counter.add(tokens);
            int[] active = activeIndices(done);
            while (true) {
                int[][] next = new int[active.length][];
                for (int a = 0; a < active.length; a++) {
                    int b = active[a], token = argmax(logits, a * vocab);
                    generated[b][count[b]++] = token;
                    next[a] = new int[]{token};
                    String text = encoding.tokenizer().decode(Arrays.copyOf(generated[b], count[b]), true);
                    done[b] = token == eos || count[b] == reqs[b].maxTokens() || stops[b].stream().anyMatch(s -> !s.isEmpty() && text.contains(s));
                    if (done[b]) counter.add(reqs[b].maxTokens() - count[b] + 1);
                    else counter.add(1);
                }
                int[] still = activeIndices(done);
                if (still.length == 0) break;
                int[][] seqs = new int[still.length][];
                KVCache[] stillCaches = new KVCache[still.length];
                for (int a = 0, k = 0; a < active.length; a++) {
                    if (done[active[a]]) continue;
                    seqs[k] = next[a];
                    stillCaches[k++] = caches[active[a]];
                }
                logits = transformer.forward(seqs, stillCaches, false, null);
                active = still;
            }
            for (int b = 0; b < n; b++) {
                String text = encoding.tokenizer().decode(Arrays.copyOf(generated[b], count[b]), true);
                // the text before the first occurrence of each stop string, in turn (postprocess_generated_text)
                for (String s : stops[b]) {
                    int at = s.isEmpty() ? -1 : text.indexOf(s);
                    if (at >= 0) text = text.substring(0, at);
                }
                out[which.get(from + b)] = text;
            }
        }
    }

    private static int[] activeIndices(boolean[] done) {
        int n = 0;
        for (boolean d : done) if (!d) n++;
        int[] active = new int[n];
        for (int b = 0, k = 0; b < done.length; b++) if (!done[b]) active[k++] = b;
        return active;
    }
}
