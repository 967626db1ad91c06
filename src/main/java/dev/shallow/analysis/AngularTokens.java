package dev.shallow.analysis;

/** Which tokens the angular distance d(x_l, x_{l+n}) averages over. */
public enum AngularTokens {
    /** The last token of each sequence (Gromov et al.); mean over sequences. */
    LAST,
    /** Every token of every sequence; mean over tokens. */
    ALL;

    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    public static AngularTokens of(String label) {
        for (AngularTokens t : values()) if (t.label().equals(label)) return t;
        throw new IllegalArgumentException("angular tokens must be 'last' or 'all', got '" + label + "'");
    }
}
