{
  "variables": {
    "torchlet_static_openblas%": "<!(node -p \"process.env.TORCHLET_STATIC_OPENBLAS === '1' ? 1 : 0\")",
    "torchlet_gloo%": "<!(node scripts/find-gloo.js)"
  },
  "targets": [
    {
      "target_name": "torchlet",
      "sources": ["native/torchlet.cc"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!@(node scripts/find-openblas.js include)"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS",
        "TORCHLET_VERSION=\"<!(node -p \"require('./package.json').version\")\""
      ],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++14"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-O3", "-ffp-contract=off", "-fno-math-errno", "-Wno-psabi"],
      "cflags!": ["-fno-exceptions"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "OTHER_CPLUSPLUSFLAGS": ["-O3", "-ffp-contract=off", "-fno-math-errno"]
      },
      "conditions": [
        ["torchlet_static_openblas==1", {
          "libraries": ["<!@(node scripts/find-openblas.js static-libs)"],
          "conditions": [
            ["OS=='linux'", {
              "cflags": ["-fvisibility=hidden", "-ffunction-sections", "-fdata-sections"],
              "cflags_cc": ["-fvisibility=hidden", "-fvisibility-inlines-hidden"],
              "ldflags": [
                "-static-libstdc++",
                "-static-libgcc",
                "-Wl,--exclude-libs,ALL",
                "-Wl,--version-script=<(module_root_dir)/native/exports.map",
                "-Wl,--gc-sections",
                "-Wl,-O1",
                "-Wl,--as-needed"
              ]
            }]
          ]
        }, {
          "libraries": ["<!@(node scripts/find-openblas.js libs)"]
        }]
      ]
    }
  ],
  "conditions": [
    # The optional Gloo addon (torchlet.distributed), only where Gloo is installed (libgloo-dev), so `npm install`
    # never fails for want of it; never in the prebuild (TORCHLET_STATIC_OPENBLAS=1), which stays the core addon.
    ["torchlet_gloo==1 and torchlet_static_openblas==0", {
      "targets": [
        {
          "target_name": "torchlet_gloo",
          "sources": ["native/distributed/gloo.cc"],
          "include_dirs": [
            "<!(node -p \"require('node-addon-api').include_dir\")",
            "<!@(node scripts/find-gloo.js include)"
          ],
          "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
          "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++14"],
          "cflags_cc": ["-std=c++17", "-fexceptions", "-O2", "-pthread"],
          "cflags!": ["-fno-exceptions"],
          "libraries": ["<!@(node scripts/find-gloo.js libs)"]
        }
      ]
    }]
  ]
}
