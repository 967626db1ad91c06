package dev.shallow.data;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.ShallowException;
import dev.shallow.tokenizer.Tokenizer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

/**
 * Calibration token sequences and the options that made them ({@code options} as applied: BOS off when the tokenizer has
 * none). A sequence length beyond the model's context is an error, not cut silently.
 *
 * @param tokenHash first 16 hex digits of sha256 over every sequence as int32 little-endian (its length, then its ids)
 */
public record CalibrationSet(int[][] sequences, CalibrationOptions options, String tokenHash) {

    /** Reads {@code options.data()} (a dataset under {@code sharedData} or a file) and tokenizes it. */
    public static CalibrationSet load(CalibrationOptions options, Tokenizer tok, int context, Path sharedData) {
        DocumentSource source = Datasets.resolve(options.data(), options.textField(), sharedData);
        return build(source.read(), tok, options, context, source.file());
    }

    /** Token sequences from {@code docs} (read from {@code source}, named in errors). */
    public static CalibrationSet build(List<String> docs, Tokenizer tok, CalibrationOptions options, int context, Path source) {
        if (options.seqLen() > context) {
            throw new ShallowException("--seq-len " + options.seqLen() + " is longer than the model's context of " + context + " tokens");
        }
        boolean bos = options.bos() && tok.bosId().isPresent();
        CalibrationOptions applied = new CalibrationOptions(options.data(), options.textField(), options.samples(),
                options.seqLen(), options.packing(), bos, options.shuffle(), options.seed());
        List<String> ordered = options.shuffle() ? shuffled(docs, options.seed()) : docs;
        int[][] seqs = applied.packing() ? packed(ordered, tok, applied, source) : perDocument(ordered, tok, applied, source);
        return new CalibrationSet(seqs, applied, hash(seqs));
    }

    /** Documents joined as doc EOS doc EOS ..., cut into consecutive windows of seqLen (BOS + seqLen - 1 ids). */
    private static int[][] packed(List<String> docs, Tokenizer tok, CalibrationOptions o, Path source) {
        long need = (long) o.samples() * (o.seqLen() - (o.bos() ? 1 : 0));
        int[] stream = tokenStream(docs, doc -> withEos(tok.encode(doc, false), tok), need);
        if (stream.length < need) {
            throw ShallowException.at(source, "has " + stream.length + " tokens, fewer than the " + need + " that " + o.samples()
                    + " packed samples of " + o.seqLen() + " tokens need");
        }
        return windows(stream, o.samples(), o.seqLen(), tok, o.bos());
    }

    /**
     * Every full window of seqLen tokens of the documents, each encoded as the tokenizer encodes a
     * text with its special tokens (Llama's: BOS doc), joined in the given order (BOS doc BOS doc ...,
     * as Hugging Face's run_clm groups texts and llama2.c trains); documents are followed by EOS when
     * the tokenizer adds no BOS. Windows start anywhere in a document; the text after the last full one is dropped.
     */
    public static int[][] packAll(List<String> docs, Tokenizer tok, int seqLen) {
        int[] stream = tokenStream(docs, doc -> tok.bosId().isPresent() ? tok.encode(doc, true) : withEos(tok.encode(doc, false), tok),
                Long.MAX_VALUE);
        return windows(stream, stream.length / seqLen, seqLen, tok, false);
    }

    /** The documents' ids as {@code encode} gives them, joined, up to {@code need} ids. */
    private static int[] tokenStream(List<String> docs, Function<String, int[]> encode, long need) {
        int[] stream = new int[1024];
        int filled = 0;
        for (int d = 0; d < docs.size() && filled < need; d++) {
            int[] ids = encode.apply(docs.get(d));
            int n = (int) Math.min(ids.length, need - filled);
            if (filled + n > stream.length) stream = Arrays.copyOf(stream, Math.max(2 * stream.length, filled + n));
            System.arraycopy(ids, 0, stream, filled, n);
            filled += n;
        }
        return Arrays.copyOf(stream, filled);
    }

    /** ids followed by EOS, when the tokenizer has one. */
    private static int[] withEos(int[] ids, Tokenizer tok) {
        return tok.eosId().isPresent() ? append(ids, tok.eosId().getAsInt()) : ids;
    }

    /** The first {@code count} consecutive windows of the stream, each BOS (when asked for) + seqLen - 1 ids, or seqLen ids. */
    private static int[][] windows(int[] stream, int count, int seqLen, Tokenizer tok, boolean bos) {
        int body = seqLen - (bos ? 1 : 0);
        int[][] seqs = new int[count][];
        for (int s = 0; s < count; s++) seqs[s] = withBos(Arrays.copyOfRange(stream, s * body, (s + 1) * body), tok, bos);
        return seqs;
    }

    /** One document per sequence: BOS + its ids, truncated to seqLen (shorter documents kept as they are). */
    private static int[][] perDocument(List<String> docs, Tokenizer tok, CalibrationOptions o, Path source) {
        int[][] seqs = new int[o.samples()][];
        int n = 0;
        for (int d = 0; d < docs.size() && n < seqs.length; d++) {
            int[] ids = tok.encode(docs.get(d), false);
            if (ids.length == 0) continue;
            int[] seq = withBos(ids, tok, o.bos());
            seqs[n++] = Arrays.copyOf(seq, Math.min(seq.length, o.seqLen()));
        }
        if (n < seqs.length) {
            throw ShallowException.at(source, "has " + n + " non-empty documents, fewer than the " + seqs.length
                    + " samples asked for (packing needs fewer documents)");
        }
        return seqs;
    }

    private static int[] withBos(int[] ids, Tokenizer tok, boolean bos) {
        if (!bos) return ids;
        int[] seq = new int[ids.length + 1];
        seq[0] = tok.bosId().getAsInt();
        System.arraycopy(ids, 0, seq, 1, ids.length);
        return seq;
    }

    private static int[] append(int[] ids, int id) {
        int[] out = Arrays.copyOf(ids, ids.length + 1);
        out[ids.length] = id;
        return out;
    }

    /** Fisher-Yates with java.util.Random(seed): both fully specified, so the order is the same on every JVM. */
    public static <T> List<T> shuffled(List<T> items, long seed) {
        List<T> a = new ArrayList<>(items);
        Random r = new Random(seed);
        for (int i = a.size() - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            a.set(i, a.set(j, a.get(i)));
        }
        return List.copyOf(a);
    }

    public static String hash(int[][] seqs) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (int[] seq : seqs) {
                ByteBuffer b = ByteBuffer.allocate(4 * (seq.length + 1)).order(ByteOrder.LITTLE_ENDIAN);
                b.putInt(seq.length);
                for (int id : seq) b.putInt(id);
                sha.update(b.array());
            }
            return HexFormat.of().formatHex(sha.digest()).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public int tokens() {
        return Arrays.stream(sequences).mapToInt(s -> s.length).sum();
    }

    /** The applied options, the number of tokens and the token hash. */
    public ObjectNode toJson() {
        ObjectNode o = options.toJson();
        o.put("tokens", tokens());
        o.put("token_sha256", tokenHash);
        return o;
    }
}
