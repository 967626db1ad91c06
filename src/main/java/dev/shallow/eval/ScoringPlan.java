package dev.shallow.eval;

import dev.shallow.tensor.Linear;
import dev.shallow.transformer.KVCache;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.function.IntToLongFunction;

/**
 * Which tokens {@link TransformerLM} computes, on which KV caches, in which batches, to score groups of pairs.
 * <p>Each group (pairs with the same context) computes its context less the last token once, then each member its
 * tail (the context's last token and the continuation less its last token, which predicts the continuation) on a
 * copy of the group's cache, the last member on the group's cache itself.
 * <p>With sharing, the groups are sorted by those context tokens, so that contexts starting alike are adjacent and
 * form a trie: each run of two or more groups whose contexts share tokens beyond their parent prefix gets a shared
 * prefix (the few-shot examples of a task; the task's description within them), computed once on a copy of its
 * parent's cache in the batch of its first group and kept until the batch of its last group has read it, so long as
 * the shared prefixes' caches held during one batch fit the bound (a prefix that does not fit is left to the groups
 * below it). A group then computes only the rest of its context, on a copy of its deepest shared prefix's cache.
 * <p>Groups go into batches in order, each of up to batchTokens tokens computed (at least one group). Every token is
 * the same computation as when its request is scored alone (the same keys and values before it), so the scores are
 * too.
 */
final class ScoringPlan {
    /** Pairs (by index) with the same context tokens, each scoring its continuation. */
    record Group(int[] context, List<Integer> members, List<int[]> continuations) {
        /** The context tokens computed before the members' tails: all but the last. */
        int prefixLength() {
            return context.length - 1;
        }
    }

    /**
     * Tokens appended at positions {@code from}.. to a KV cache of {@code capacity} positions that holds positions
     * [0, from) of {@code parent}'s: a copy of the parent's cache, or the parent's cache itself ({@code continues});
     * without a parent, a new cache from position 0. The tokens are {@code context[from, contextEnd)} then
     * {@code extra} (a tail's continuation less its last token).
     */
    static final class Segment {
        final Segment parent;
        private final int[] context;
        private final int contextEnd;
        private final int[] extra;
        final int from;
        final boolean continues;
        final int capacity;
        /** The batch that computes it and the pass of that batch (0 when its parent was computed by an earlier batch). */
        Batch batch;
        int pass;
        /** From the computing batch's begin until its caches are freed. */
        KVCache cache;

        Segment(Segment parent, int[] context, int from, int contextEnd, int[] extra, boolean continues, int capacity) {
            this.parent = parent;
            this.context = context;
            this.from = from;
            this.contextEnd = contextEnd;
            this.extra = extra;
            this.continues = continues;
            this.capacity = capacity;
        }

        int[] tokens() {
            int[] t = Arrays.copyOfRange(context, from, contextEnd + extra.length);
            System.arraycopy(extra, 0, t, contextEnd - from, extra.length);
            return t;
        }

        int length() {
            return contextEnd - from + extra.length;
        }

        int end() {
            return contextEnd + extra.length;
        }

        /** Whether it starts with a copy of its parent's first positions. */
        boolean copies() {
            return parent != null && !continues;
        }
    }

    /** A member's tail: its segment and the continuation whose log-likelihood it gives to {@code pair}. */
    record Tail(Segment segment, int pair, int[] continuation) {
    }

    /**
     * One unit of work: passes of context segments (each segment's parent computed by an earlier pass or batch), then one
     * pass of tails (the only one whose logits are read), then the caches freed layer by layer: those of its segments and
     * of the shared prefixes whose last group it holds.
     */
    static final class Batch {
        final List<List<Segment>> passes = new ArrayList<>();
        final List<Tail> tails = new ArrayList<>();
        final List<Segment> frees = new ArrayList<>();

        private void addContext(Segment s) {
            s.batch = this;
            s.pass = s.parent != null && s.parent.batch == this ? s.parent.pass + 1 : 0;
            if (s.pass == passes.size()) passes.add(new ArrayList<>());
            passes.get(s.pass).add(s);
        }

        private void addTail(Tail t) {
            t.segment().batch = this;
            tails.add(t);
            frees.add(t.segment());
        }

        List<Segment> tailSegments() {
            return tails.stream().map(Tail::segment).toList();
        }

        /** Tokens the model reads, padding included. */
        long tokens() {
            long t = computed(tailSegments());
            for (List<Segment> pass : passes) t += computed(pass);
            return t;
        }

        /** Tokens of its largest pass. */
        int widestPass() {
            int widest = computed(tailSegments());
            for (List<Segment> pass : passes) widest = Math.max(widest, computed(pass));
            return widest;
        }

        /**
         * Throwaway tokens that make a pass of fewer than {@link Linear#GEMM_MIN_TOKENS} tokens that many: it would run the GEMV,
         * which rounds differently from the GEMM (the same token in a larger batch), so every score is the one computed alone.
         */
        static int padding(List<Segment> pass) {
            return Math.max(0, Linear.GEMM_MIN_TOKENS - pass.stream().mapToInt(Segment::length).sum());
        }

        private static int computed(List<Segment> pass) {
            return pass.stream().mapToInt(Segment::length).sum() + padding(pass);
        }
    }

    final List<Batch> batches;
    /** Whether some shared prefix was left to the groups below it because it did not fit the bound. */
    final boolean overBound;

    private ScoringPlan(List<Batch> batches, boolean overBound) {
        this.batches = batches;
        this.overBound = overBound;
    }

    /** {@code cacheBytes}: bytes of a KV cache of that many positions. */
    static ScoringPlan of(List<Group> groups, PrefixSharing sharing, int batchTokens, IntToLongFunction cacheBytes) {
        Planner p = new Planner(sharing.enabled() ? sorted(groups) : groups, sharing.cacheBytes(), batchTokens, cacheBytes);
        if (sharing.enabled() && !groups.isEmpty()) p.visit(0, groups.size(), null);
        else for (Group g : groups) p.add(g, null);
        if (!p.current.tails.isEmpty()) p.close();
        return new ScoringPlan(List.copyOf(p.batches), p.overBound);
    }

    /** Tokens the model reads. */
    long tokens() {
        return batches.stream().mapToLong(Batch::tokens).sum();
    }

    /** Stable: groups with equal prefixes keep their order. */
    private static List<Group> sorted(List<Group> groups) {
        List<Group> out = new ArrayList<>(groups);
        out.sort(Comparator.comparing(Group::context, (a, b) -> Arrays.compare(a, 0, a.length - 1, b, 0, b.length - 1)));
        return out;
    }

    private static final class Planner {
        private final List<Group> groups;
        private final long bound;
        private final int batchTokens;
        private final IntToLongFunction cacheBytes;
        private final List<Batch> batches = new ArrayList<>();
        private Batch current = new Batch();
        /** Tokens of the current batch (before short passes are padded). */
        private long filled;
        /** Shared prefixes made since the last group was placed: they go into its batch. */
        private final List<Segment> pending = new ArrayList<>();
        /** Bytes of the shared prefixes' caches held during the current batch, and of those whose groups are not all placed yet. */
        private long held, open;
        private boolean overBound;

        Planner(List<Group> groups, long bound, int batchTokens, IntToLongFunction cacheBytes) {
            this.groups = groups;
            this.bound = bound;
            this.batchTokens = batchTokens;
            this.cacheBytes = cacheBytes;
        }

        /** Places groups [lo, hi) (sorted; their contexts all start with parent's tokens), sharing what they have in common beyond it. */
        void visit(int lo, int hi, Segment parent) {
            if (hi - lo == 1) {
                add(groups.get(lo), parent);
                return;
            }
            Group first = groups.get(lo), last = groups.get(hi - 1);
            int base = parent == null ? 0 : parent.end();
            int end = common(first, last); // sorted: the extremes' common prefix is the whole run's
            Segment node = parent;
            long bytes = end > base ? cacheBytes.applyAsLong(end) : 0;
            if (end > base && held + bytes <= bound) {
                node = new Segment(parent, first.context(), base, end, new int[0], false, end);
                pending.add(node);
                held += bytes;
                open += bytes;
            }
            overBound |= end > base && node == parent;
            for (int i = lo; i < hi; ) { // the groups whose prefix ends here, one at a time; then runs with the same next token
                int j = i + 1;
                if (groups.get(i).prefixLength() > end) {
                    int next = groups.get(i).context()[end];
                    while (j < hi && groups.get(j).context()[end] == next && groups.get(j).prefixLength() > end) j++;
                }
                visit(i, j, node);
                i = j;
            }
            if (node != parent) {
                open -= bytes;
                current.frees.add(node);
            }
        }

        /** Length of the common start of two groups' prefixes. */
        private static int common(Group a, Group b) {
            int n = Arrays.mismatch(a.context(), 0, a.prefixLength(), b.context(), 0, b.prefixLength());
            return n < 0 ? a.prefixLength() : n;
        }

        /** The group's segments below {@code parent} (null: none), with the shared prefixes made for it, into the current batch or a new one. */
        void add(Group g, Segment parent) {
            int[] ctx = g.context();
            int last = g.prefixLength(), base = parent == null ? 0 : parent.end();
            List<int[]> conts = g.continuations();
            Segment context = last > base ? new Segment(parent, ctx, base, last, new int[0], false, last + conts.getLast().length) : null;
            List<Tail> tails = new ArrayList<>();
            long tokens = context == null ? 0 : context.length();
            for (int m = 0; m < conts.size(); m++) {
                int[] cont = conts.get(m);
                boolean onContext = context != null && m == conts.size() - 1;
                Segment tail = new Segment(context != null ? context : parent, ctx, last, ctx.length, Arrays.copyOf(cont, cont.length - 1), onContext, last + cont.length);
                tails.add(new Tail(tail, g.members().get(m), cont));
                tokens += tail.length();
            }
            for (Segment s : pending) tokens += s.length();
            if (!current.tails.isEmpty() && filled + tokens > batchTokens) close();
            filled += tokens;
            for (Segment s : pending) current.addContext(s);
            pending.clear();
            if (context != null) {
                current.addContext(context);
                current.frees.add(context);
            }
            for (Tail t : tails) current.addTail(t);
        }

        void close() {
            batches.add(current);
            current = new Batch();
            filled = 0;
            held = open;
        }
    }
}
