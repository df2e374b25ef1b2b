using System.Runtime.InteropServices;
using Microsoft.ML.DeepExtensions.Vision.Detection.Darknet;

namespace Microsoft.ML.DeepExtensions.Tests.Vision.Detection.Darknet;

/// <summary>
/// The weights rule of generate_darknet_golden.py, re-implemented: the bytes of the .weights file Darknet ran for a
/// golden case, rebuilt here so that no weights file has to be committed (the SHA-256 in the golden file proves the
/// two are the same file). The i-th float is a function of lowbias32(i + seed·0x9E3779B9) and of the array it
/// belongs to; all arithmetic is float32, as in the script.
/// </summary>
internal static class DarknetTestWeights
{
    private enum Kind { Centred, Positive, Weights }

    public static byte[] Build(DarknetNetwork network, int seed, float gain)
    {
        long total = network.Layers.Sum(DarknetWeights.FloatCount);
        var bytes = new byte[20 + total * sizeof(float)];
        BitConverter.TryWriteBytes(bytes.AsSpan(4), 2); // version 0.2.0, seen = 0 (int64)
        var values = MemoryMarshal.Cast<byte, float>(bytes.AsSpan(20));
        uint offset = unchecked((uint)seed * 0x9E3779B9u);
        int next = 0;
        void Add(Kind kind, long count, long fanIn, Span<float> values)
        {
            float amplitude = gain / MathF.Sqrt(fanIn);
            for (int k = next; k < next + count; k++)
            {
                float u = (LowBias32(unchecked((uint)k + offset)) >> 8) * (1f / 16777216f);
                values[k] = kind switch
                {
                    Kind.Centred => (u * 2f - 1f) * 0.1f, // biases, rolling means
                    Kind.Positive => u + 0.5f, // scales, rolling variances
                    _ => (u * 2f - 1f) * amplitude,
                };
            }

            next += (int)count;
        }

        foreach (var layer in network.Layers)
        {
            switch (layer)
            {
                case DarknetConvolutionalLayer conv:
                {
                    long fanIn = conv.Convolution.weight!.shape.Skip(1).Aggregate(1L, (a, b) => a * b);
                    Add(Kind.Centred, conv.Filters, 0, values);
                    if (conv.BatchNormalize)
                    {
                        Add(Kind.Positive, conv.Filters, 0, values);
                        Add(Kind.Centred, conv.Filters, 0, values);
                        Add(Kind.Positive, conv.Filters, 0, values);
                    }

                    Add(Kind.Weights, conv.Filters * fanIn, fanIn, values);
                    break;
                }

                case DarknetConnectedLayer connected:
                {
                    int outputs = connected.OutputShape.Channels;
                    Add(Kind.Centred, outputs, 0, values);
                    Add(Kind.Weights, outputs * connected.Inputs, connected.Inputs, values);
                    if (connected.BatchNormalize)
                    {
                        Add(Kind.Positive, outputs, 0, values);
                        Add(Kind.Centred, outputs, 0, values);
                        Add(Kind.Positive, outputs, 0, values);
                    }

                    break;
                }
            }
        }

        return bytes;
    }

    private static uint LowBias32(uint x)
    {
        x ^= x >> 16;
        x = unchecked(x * 0x7FEB352Du);
        x ^= x >> 15;
        x = unchecked(x * 0x846CA68Bu);
        x ^= x >> 16;
        return x;
    }
}
