using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Microsoft.ML.DeepExtensions.Vision.Detection.Proposals;

/// <summary>The strict order <see cref="GnuIntroSort"/> sorts by (C++'s <c>operator&lt;</c>).</summary>
internal interface IGnuSortable<T>
    where T : struct
{
    /// <summary>Whether <paramref name="a"/> goes strictly before <paramref name="b"/>.</summary>
    static abstract bool Less(in T a, in T b);
}

/// <summary>
/// An introsort that leaves items in exactly the order GCC's libstdc++ <c>std::sort</c> leaves them, equal keys
/// included: median-of-three pivot moved to the front, unguarded Hoare partition, recursion on the right part and a
/// loop on the left, heap sort below a depth of 2·floor(log2 n), and a final insertion sort whose first 16 items are
/// guarded. OpenCV's graph segmentation and selective search sort edges and similarities with <c>std::sort</c>, and
/// where keys tie (flat image areas, equal similarities) the order decides which regions merge first; sorting the
/// same way is what makes our segmentation and hierarchy equal to OpenCV's instead of merely close.
/// </summary>
internal static class GnuIntroSort
{
    private const int InsertionThreshold = 16;

    /// <summary>Sorts <paramref name="items"/> in place as <c>std::sort(begin, end)</c> does.</summary>
    public static void Sort<T>(Span<T> items)
        where T : struct, IGnuSortable<T>
    {
        if (items.Length < 2)
            return;
        IntroLoop(items, 0, items.Length, 2 * (31 - int.LeadingZeroCount(items.Length)));
        FinalInsertionSort(items);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loop: fully optimised from the first image
    private static void IntroLoop<T>(Span<T> items, int first, int last, int depthLimit)
        where T : struct, IGnuSortable<T>
    {
        while (last - first > InsertionThreshold)
        {
            if (depthLimit == 0)
            {
                HeapSort(items[first..last]);
                return;
            }
            depthLimit--;
            int cut = PartitionAroundPivot(items, first, last);
            IntroLoop(items, cut, last, depthLimit);
            last = cut;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loop: fully optimised from the first image
    private static int PartitionAroundPivot<T>(Span<T> items, int first, int last)
        where T : struct, IGnuSortable<T>
    {
        int mid = first + (last - first) / 2;
        MoveMedianToFirst(items, first, first + 1, mid, last - 1);
        // libstdc++'s unguarded partition of [first + 1, last) around items[first]: for a strict weak order the
        // median-of-three stops both scans; the index guards only keep a broken order (NaN keys) inside the span.
        ref T start = ref MemoryMarshal.GetReference(items);
        ref T pivot = ref Unsafe.Add(ref start, first);
        int lo = first + 1, hi = last;
        while (true)
        {
            while (lo < last - 1 && T.Less(Unsafe.Add(ref start, lo), pivot))
                lo++;
            hi--;
            while (hi > first && T.Less(pivot, Unsafe.Add(ref start, hi)))
                hi--;
            if (lo >= hi)
                return lo;
            (Unsafe.Add(ref start, lo), Unsafe.Add(ref start, hi)) = (Unsafe.Add(ref start, hi), Unsafe.Add(ref start, lo));
            lo++;
        }
    }

    private static void MoveMedianToFirst<T>(Span<T> items, int result, int a, int b, int c)
        where T : struct, IGnuSortable<T>
    {
        int median;
        if (T.Less(items[a], items[b]))
            median = T.Less(items[b], items[c]) ? b : T.Less(items[a], items[c]) ? c : a;
        else
            median = T.Less(items[a], items[c]) ? a : T.Less(items[b], items[c]) ? c : b;
        (items[result], items[median]) = (items[median], items[result]);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loop: fully optimised from the first image
    private static void FinalInsertionSort<T>(Span<T> items)
        where T : struct, IGnuSortable<T>
    {
        if (items.Length > InsertionThreshold)
        {
            InsertionSort(items[..InsertionThreshold]);
            for (int i = InsertionThreshold; i < items.Length; i++)
                UnguardedLinearInsert(items, i);
        }
        else
        {
            InsertionSort(items);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loop: fully optimised from the first image
    private static void InsertionSort<T>(Span<T> items)
        where T : struct, IGnuSortable<T>
    {
        for (int i = 1; i < items.Length; i++)
        {
            if (T.Less(items[i], items[0]))
            {
                var value = items[i];
                items[..i].CopyTo(items[1..]);
                items[0] = value;
            }
            else
            {
                UnguardedLinearInsert(items, i);
            }
        }
    }

    private static void UnguardedLinearInsert<T>(Span<T> items, int last)
        where T : struct, IGnuSortable<T>
    {
        // Unguarded in libstdc++ (an earlier item not above the value stops the scan); the index guard only keeps a
        // broken order (NaN keys) inside the span.
        ref T start = ref MemoryMarshal.GetReference(items);
        var value = Unsafe.Add(ref start, last);
        int next = last - 1;
        while (next >= 0 && T.Less(value, Unsafe.Add(ref start, next)))
        {
            Unsafe.Add(ref start, last) = Unsafe.Add(ref start, next);
            last = next;
            next--;
        }
        Unsafe.Add(ref start, last) = value;
    }

    /// <summary><c>std::make_heap</c> then <c>std::sort_heap</c>, the fallback of a too deep recursion.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loop: fully optimised from the first image
    private static void HeapSort<T>(Span<T> items)
        where T : struct, IGnuSortable<T>
    {
        int length = items.Length;
        if (length >= 2)
        {
            for (int parent = (length - 2) / 2; ; parent--)
            {
                AdjustHeap(items, parent, length, items[parent]);
                if (parent == 0)
                    break;
            }
        }
        for (int last = length - 1; last > 0; last--)
        {
            var value = items[last];
            items[last] = items[0];
            AdjustHeap(items, 0, last, value);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loop: fully optimised from the first image
    private static void AdjustHeap<T>(Span<T> items, int hole, int length, T value)
        where T : struct, IGnuSortable<T>
    {
        int top = hole, child = hole;
        while (child < (length - 1) / 2)
        {
            child = 2 * (child + 1);
            if (T.Less(items[child], items[child - 1]))
                child--;
            items[hole] = items[child];
            hole = child;
        }
        if ((length & 1) == 0 && child == (length - 2) / 2)
        {
            child = 2 * (child + 1);
            items[hole] = items[child - 1];
            hole = child - 1;
        }
        int parent = (hole - 1) / 2;
        while (hole > top && T.Less(items[parent], value))
        {
            items[hole] = items[parent];
            hole = parent;
            parent = (hole - 1) / 2;
        }
        items[hole] = value;
    }
}
