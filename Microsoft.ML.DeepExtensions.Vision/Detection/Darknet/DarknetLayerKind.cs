namespace Microsoft.ML.DeepExtensions.Vision.Detection.Darknet;

/// <summary>
/// The section types of a Darknet <c>.cfg</c> that <see cref="DarknetConfig"/> reads and
/// <see cref="DarknetNetwork"/> builds: those of the YOLOv3 family and the classification cfgs that
/// Darknet ships (Darknet-19/53, Extraction, AlexNet, VGG-16, ResNet-18/34/50). The short aliases
/// Darknet accepts (<c>[conv]</c>, <c>[conn]</c>, <c>[max]</c>, <c>[avg]</c>, <c>[soft]</c>) map to the same kinds.
/// </summary>
public enum DarknetLayerKind
{
    /// <summary><c>[net]</c> or <c>[network]</c>: the input size and the training settings; not a layer.</summary>
    Network,

    /// <summary><c>[convolutional]</c>: convolution, optional batch normalization, activation.</summary>
    Convolutional,

    /// <summary><c>[connected]</c>: fully connected layer over the flattened input, optional batch normalization, activation.</summary>
    Connected,

    /// <summary><c>[maxpool]</c>: max pooling with Darknet's padding (<c>padding = size - 1</c> by default, mostly on the right and bottom).</summary>
    MaxPool,

    /// <summary><c>[avgpool]</c>: global average pooling to 1 x 1.</summary>
    AvgPool,

    /// <summary><c>[route]</c>: the outputs of one or more earlier layers, concatenated along the channels.</summary>
    Route,

    /// <summary><c>[shortcut]</c>: the previous layer's output plus an earlier layer's output (a residual connection), then an activation.</summary>
    Shortcut,

    /// <summary><c>[upsample]</c>: nearest-neighbour upsampling by an integer stride.</summary>
    Upsample,

    /// <summary><c>[yolo]</c>: a YOLOv3 detection head; the layer itself has no weights.</summary>
    Yolo,

    /// <summary><c>[dropout]</c>: dropout while training, the identity when scoring.</summary>
    Dropout,

    /// <summary><c>[softmax]</c>: softmax over the flattened input (per group).</summary>
    Softmax,

    /// <summary><c>[cost]</c>: a training loss on the previous layer; the identity when scoring.</summary>
    Cost,

    /// <summary><c>[crop]</c>: a centre crop (random while Darknet trains) that also maps [0, 1] to [-1, 1].</summary>
    Crop,
}
