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
import java.util.Map;

/**
 * A {@link Transformer} answering lm-evaluation-harness requests the way its Hugging Face model does:
 * the same token split ({@link HarnessEncoding}), the same scores. Requests whose contexts are the same
 * tokens (the choices of one question) share one forward pass over the context: its KV cache is copied
 * for each continuation. Work is batched up to {@code batchTokens} tokens a forward call, in request
 * order, so a request list always gives the same numbers.
 */
public final class TransformerLM implements LanguageModel {
    private final Transformer transformer;
    private final HarnessEncoding encoding;
    private final int batchTokens;
    private final boolean sharePrefixes;
    private final MemoryBudget memory;
    private final int vocab;

    public TransformerLM(Transformer transformer, HarnessEncoding encoding, int batchTokens, boolean sharePrefixes) {
        this(transformer, encoding, batchTokens, sharePrefixes, MemoryBudget.DEFAULT);
    }

    /** {@code memory}: over it, log-likelihoods (and so perplexities) are scored layer by layer, with the same results; generation always runs in memory. */
    public TransformerLM(Transformer transformer, HarnessEncoding encoding, int batchTokens, boolean sharePrefixes, MemoryBudget memory) {
        if (batchTokens < 1) throw new ShallowException("batch tokens must be at least 1, got " + batchTokens);
        this.transformer = transformer;
        this.encoding = encoding;
        this.batchTokens = batchTokens;
        this.sharePrefixes = sharePrefixes;
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
        List<Group> groups = group(pairs);
        long total = 0;
        for (Group g : groups) total += g.tokens();
        List<int[]> prompts = new ArrayList<>();
        for (int r : generations) {
            Request.Generate g = (Request.Generate) requests.get(r);
            prompts.add(encoding.generationContext(g.context(), g.maxTokens()));
            total += prompts.getLast().length + g.maxTokens();
        }
        Counter counter = new Counter(progress, phase, total);

        double[] logLik = new double[pairs.size()];
        boolean[] greedy = new boolean[pairs.size()];
        score(groups, logLik, greedy, counter);
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
        score(group(pairs), logLik, new boolean[pairs.size()], new Counter(Progress.NONE, "", 0));
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

    /** Pairs with the same context tokens: one prefix ctx[..C-1], then per member ctx[C-1] + cont[..m-1] scoring cont. */
    private record Group(int[] context, List<Integer> members, List<int[]> continuations) {
        int prefixLength() {
            return context.length - 1;
        }

        int longestTail() {
            int m = 0;
            for (int[] c : continuations) m = Math.max(m, c.length);
            return m;
        }

        long tokens() {
            long t = prefixLength();
            for (int[] c : continuations) t += c.length;
            return t;
        }
    }

    /** Truncates each pair as the harness does ({@code (ctx + cont)[-(max_length + 1):][:-1]}) and groups equal contexts. */
    private List<Group> group(List<HarnessEncoding.Pair> pairs) {
        int max = encoding.maxLength();
        Map<Key, Group> groups = new LinkedHashMap<>();
        for (int p = 0; p < pairs.size(); p++) {
            int[] ctx = pairs.get(p).context(), cont = pairs.get(p).continuation();
            if (cont.length == 0) throw new ShallowException("a log-likelihood request has a continuation of no tokens (context ending \"" + encoding.tokenizer().decode(Arrays.copyOfRange(ctx, Math.max(0, ctx.length - 8), ctx.length), false) + "\")");
            int over = ctx.length + cont.length - (max + 1);
            if (over > 0) ctx = Arrays.copyOfRange(ctx, over, ctx.length);
            Key key = sharePrefixes ? new Key(ctx, -1) : new Key(ctx, p);
            Group g = groups.computeIfAbsent(key, k -> new Group(k.ids(), new ArrayList<>(), new ArrayList<>()));
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
     * Scores the groups in chunks of about batchTokens tokens, each chunk one unit of the memory budget's
     * {@link LayerSchedule}: in memory chunk after chunk, or, for a model over the budget, layer by layer.
     */
    private void score(List<Group> groups, double[] logLik, boolean[] greedy, Counter counter) {
        List<Chunk> chunks = new ArrayList<>();
        for (List<Group> run : LayerSchedule.runs(groups, Group::tokens, batchTokens)) chunks.add(new Chunk(run, logLik, greedy));
        LayerSchedule schedule = memory.schedule(transformer, chunks);
        if (schedule.layerMajor()) counter.progress.note(schedule.reason());
        long before = counter.done;
        schedule.run(transformer, chunks, done -> counter.at(before + done));
    }

    /**
     * A chunk of groups: one pass over all their prefixes, one over all their continuations (each on a copy of its
     * prefix's cache, the last on the prefix's own), layer by layer: the prefixes' keys and values of a layer are copied
     * into the continuations' caches before the continuations run that layer, then dropped.
     */
    private final class Chunk implements LayerSchedule.Unit {
        private final List<Group> groups;
        private final double[] logLik;
        private final boolean[] greedy;
        private final int prefixTokens;
        private final int tailTokens;
        private Transformer.Pass prefixPass, tailPass;
        private KVCache[] prefixCaches, tailCaches;
        /** For each continuation: its group's index in the chunk, or -1 when it runs on the prefix's own cache. */
        private int[] copyFrom;

        Chunk(List<Group> groups, double[] logLik, boolean[] greedy) {
            this.groups = groups;
            this.logLik = logLik;
            this.greedy = greedy;
            int p = 0, t = 0;
            for (Group g : groups) {
                p += g.prefixLength();
                for (int[] c : g.continuations()) t += c.length;
            }
            this.prefixTokens = p;
            this.tailTokens = t;
        }

        @Override
        public long tokens() {
            return prefixTokens + tailTokens;
        }

        /** Both passes' residual streams. */
        @Override
        public long residentBytes() {
            return 4L * transformer.model().config().hiddenSize() * tokens();
        }

        @Override
        public int widestPass() {
            return Math.max(prefixTokens, tailTokens);
        }

        @Override
        public void begin() {
            prefixCaches = new KVCache[groups.size()];
            List<int[]> prefixSeqs = new ArrayList<>(), tails = new ArrayList<>();
            List<KVCache> prefixSeqCaches = new ArrayList<>(), tailCacheList = new ArrayList<>();
            List<Integer> positions = new ArrayList<>(), sources = new ArrayList<>();
            for (int g = 0; g < groups.size(); g++) {
                Group group = groups.get(g);
                prefixCaches[g] = transformer.newCache(group.prefixLength() + group.longestTail());
                if (group.prefixLength() > 0) {
                    prefixSeqs.add(Arrays.copyOf(group.context(), group.prefixLength()));
                    prefixSeqCaches.add(prefixCaches[g]);
                }
                int last = group.context()[group.prefixLength()];
                for (int m = 0; m < group.members().size(); m++) {
                    int[] cont = group.continuations().get(m);
                    int[] tail = new int[cont.length];
                    tail[0] = last;
                    System.arraycopy(cont, 0, tail, 1, cont.length - 1);
                    tails.add(tail);
                    boolean own = m == group.members().size() - 1;
                    tailCacheList.add(own ? prefixCaches[g] : transformer.newCache(prefixCaches[g].capacity()));
                    sources.add(own || group.prefixLength() == 0 ? -1 : g);
                    positions.add(group.prefixLength());
                }
            }
            prefixPass = prefixSeqs.isEmpty() ? null : transformer.begin(prefixSeqs.toArray(int[][]::new), prefixSeqCaches.toArray(KVCache[]::new), null);
            tailCaches = tailCacheList.toArray(KVCache[]::new);
            copyFrom = sources.stream().mapToInt(Integer::intValue).toArray();
            tailPass = transformer.begin(tails.toArray(int[][]::new), tailCaches, positions.stream().mapToInt(Integer::intValue).toArray());
        }

        @Override
        public void layer(int l, Transformer.Workspace ws) {
            if (prefixPass != null) prefixPass.layer(l, ws);
            for (int i = 0; i < tailCaches.length; i++) {
                if (copyFrom[i] >= 0) tailCaches[i].copyLayer(prefixCaches[copyFrom[i]], l, groups.get(copyFrom[i]).prefixLength());
            }
            tailPass.layer(l, ws);
            for (KVCache c : prefixCaches) c.dropLayer(l);
            for (KVCache c : tailCaches) c.dropLayer(l);
        }

        @Override
        public void finish() {
            float[] logits = tailPass.finish(true);
            int row = 0;
            for (Group group : groups) {
                for (int m = 0; m < group.members().size(); m++) {
                    int[] cont = group.continuations().get(m);
                    double sum = 0;
                    boolean argmax = true;
                    for (int j = 0; j < cont.length; j++, row++) {
                        // log P(cont_j | ctx, cont_<j) = log softmax(logits of the token before it)[cont_j]
                        sum += LogProbs.logProb(logits, row * vocab, vocab, cont[j]);
                        argmax &= argmax(logits, row * vocab) == cont[j];
                    }
                    int p = group.members().get(m);
                    logLik[p] = sum;
                    greedy[p] = argmax;
                }
            }
            prefixPass = tailPass = null;
            prefixCaches = tailCaches = null;
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
