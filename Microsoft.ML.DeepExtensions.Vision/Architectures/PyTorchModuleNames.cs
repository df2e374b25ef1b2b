namespace Microsoft.ML.DeepExtensions.Vision.Architectures;

/// <summary>
/// Renames the tensors of a module tree whose containers torchvision numbers (<c>nn.Sequential</c>) where
/// DeepExtensions names them: a map from our module path (<c>features.conv1</c>) to torchvision's
/// (<c>features.0</c>), applied to the module part of a tensor name (<c>features.conv1.weight</c> →
/// <c>features.0.weight</c>). Names without an entry stay as they are.
/// </summary>
internal sealed class PyTorchModuleNames
{
    private readonly Dictionary<string, string> _modules;

    public PyTorchModuleNames(Dictionary<string, string> modules) => _modules = modules;

    public string Map(string tensorName)
    {
        int dot = tensorName.LastIndexOf('.');
        return dot > 0 && _modules.TryGetValue(tensorName[..dot], out var module) ? module + tensorName[dot..] : tensorName;
    }
}
