package dev.shallow.prune;

import java.nio.file.Path;
import java.util.List;

/**
 * What {@link Pruner#prune} wrote: layer and parameter counts (tied embeddings counted once) and
 * safetensors bytes before and after, the files written, and the source files not copied.
 */
public record PruneResult(Path out, int layersBefore, int layersAfter, long parametersBefore, long parametersAfter,
                          long weightBytesBefore, long weightBytesAfter, List<String> files, List<String> notCopied) {
}
