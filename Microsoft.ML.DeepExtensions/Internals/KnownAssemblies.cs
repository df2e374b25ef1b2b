using System.Reflection;
using System.Runtime.CompilerServices;

namespace Microsoft.ML.DeepExtensions.Internals;

/// <summary>
/// Loads the DeepExtensions packages that extend the core on demand. A model saved with a CNN
/// names a network kind that the Vision package registers; in a fresh process nothing may have
/// touched that package yet, so the core loads it (its module initializer registers its kinds
/// and column adapters) before declaring a kind unknown.
/// </summary>
internal static class KnownAssemblies
{
    internal const string VisionAssemblyName = "Microsoft.ML.DeepExtensions.Vision";

    /// <summary>Loads the Vision package when it is deployed beside the core; does nothing otherwise.</summary>
    public static void LoadVision()
    {
        try
        {
            var assembly = Assembly.Load(new AssemblyName(VisionAssemblyName));
            // Loading does not run the module initializer; touching the module does.
            RuntimeHelpers.RunModuleConstructor(assembly.ManifestModule.ModuleHandle);
        }
        catch (FileNotFoundException)
        {
            // Not deployed: the caller reports the unknown kind with the list of known ones.
        }
    }
}
