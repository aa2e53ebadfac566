// One shader for the whole draw list.
//
// Vertices arrive in pixel coordinates (origin top-left, y down) with a straight-alpha colour. Solid geometry has
// uv.x < 0; text quads carry texel coordinates into the glyph atlas, whose red channel is the glyph coverage.
// The output is premultiplied, blended with (ONE, ONE_MINUS_SRC_ALPHA) like tiny-skia's source-over.

struct Globals {
    // Target size in pixels (x, y); z, w unused.
    size: vec4<f32>,
};

@group(0) @binding(0) var<uniform> globals: Globals;
@group(0) @binding(1) var atlas: texture_2d<f32>;

struct Varyings {
    @builtin(position) clip: vec4<f32>,
    @location(0) color: vec4<f32>,
    @location(1) uv: vec2<f32>,
};

@vertex
fn vs_main(@location(0) pos: vec2<f32>, @location(1) uv: vec2<f32>, @location(2) color: vec4<f32>) -> Varyings {
    var out: Varyings;
    let ndc = vec2<f32>(pos.x / globals.size.x * 2.0 - 1.0, 1.0 - pos.y / globals.size.y * 2.0);
    out.clip = vec4<f32>(ndc, 0.0, 1.0);
    out.color = color;
    out.uv = uv;
    return out;
}

@fragment
fn fs_main(v: Varyings) -> @location(0) vec4<f32> {
    let dims = vec2<i32>(textureDimensions(atlas));
    let texel = clamp(vec2<i32>(floor(v.uv)), vec2<i32>(0, 0), dims - vec2<i32>(1, 1));
    let glyph = textureLoad(atlas, texel, 0).r;
    let coverage = select(1.0, glyph, v.uv.x >= 0.0);
    let a = v.color.a * coverage;
    return vec4<f32>(v.color.rgb * a, a);
}
