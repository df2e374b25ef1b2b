namespace Microsoft.ML.DeepExtensions.Vision.Haar;

/// <summary>
/// One weighted rectangle of a Haar feature, in pixels of the cascade's window.
/// A feature's value is the sum over its rectangles of <see cref="Weight"/> times the pixel sum
/// inside the rectangle. For a tilted feature the rectangle is turned by 45°: its corner
/// (<see cref="X"/>, <see cref="Y"/>) is the top, <see cref="Width"/> runs down to the right and
/// <see cref="Height"/> down to the left.
/// </summary>
/// <param name="X">Left (upright) or top corner (tilted) column.</param>
/// <param name="Y">Top row.</param>
/// <param name="Width">Width in pixels (along the down-right diagonal when tilted).</param>
/// <param name="Height">Height in pixels (along the down-left diagonal when tilted).</param>
/// <param name="Weight">Factor applied to the rectangle's pixel sum.</param>
public readonly record struct HaarRectangle(int X, int Y, int Width, int Height, float Weight);
