/*
 * read.comp - device memory bandwidth probe as decoding uses memory: the
 * source buffer is streamed (16 bytes per element so each invocation
 * issues wide loads) and each invocation writes one sum, a tiny fraction
 * of what it read.  A grid-stride loop lets the host size the read
 * independently of the work-group count limit; at every step adjacent
 * invocations read adjacent elements.  The sums are exact (uint
 * wrap-around), so the host checks them.  Binding 0 is the source,
 * binding 1 receives one uint per invocation; push constant n is the
 * element (uvec4) count.
 */
#version 450

layout(local_size_x = 64) in;

layout(std430, set = 0, binding = 0) readonly buffer Src {
	uvec4	src[];
};
layout(std430, set = 0, binding = 1) writeonly buffer Dst {
	uint	dst[];
};
layout(push_constant) uniform Params {
	uint	n;
	uint	iters;
	float	m;
	float	c;
} p;

void
main()
{
	uint	stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
	uint	g = gl_GlobalInvocationID.x;
	uvec4	acc = uvec4(0u);
	uint	i;

	for (i = g; i < p.n; i += stride)
		acc += src[i];
	dst[g] = acc.x + acc.y + acc.z + acc.w;
}
