/// Colours for series and categories: Okabe & Ito's palette, which stays distinguishable under
/// the common forms of colour blindness. Categories beyond it share a neutral grey ("other").
public enum Palette {
    /// Okabe–Ito, reordered so the first colours are the most distinct on white.
    public static let categorical: [String] = [
        "#0072B2", // blue
        "#E69F00", // orange
        "#009E73", // bluish green
        "#CC79A7", // reddish purple
        "#56B4E9", // sky blue
        "#D55E00", // vermillion
        "#F0E442", // yellow
        "#000000", // black
    ]
    /// For "other" and de-emphasised points.
    public static let other = "#999999"

    /// The colour of series or category `index` (grey past the palette).
    public static func colour(_ index: Int) -> String {
        index >= 0 && index < categorical.count ? categorical[index] : other
    }
}
