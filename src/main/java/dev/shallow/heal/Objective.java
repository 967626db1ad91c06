package dev.shallow.heal;

/** What a training pass minimises: a loss per predicted token at the head, averaged over them, plus a loss on residual streams. */
public record Objective(TokenLoss head, StreamLoss stream) {
    /** Plain next-token cross-entropy (LoRA healing). */
    public static final Objective NEXT_TOKEN = new Objective(TokenLoss.NEXT_TOKEN, StreamLoss.NONE);
}
