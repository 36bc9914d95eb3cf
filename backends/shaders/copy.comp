/*
 * copy.comp - device memory bandwidth probe: storage buffer to storage
 * buffer, 16 bytes per element so each invocation issues wide loads and
 * stores.  A grid-stride loop lets the host size the copy independently of
 * the work-group count limit.  Binding 0 is the source, binding 1 the
 * destination; push constant n is the element (uvec4) count.
 */
#version 450

layout(local_size_x = 64) in;

layout(std430, set = 0, binding = 0) readonly buffer Src {
	uvec4	src[];
};
layout(std430, set = 0, binding = 1) writeonly buffer Dst {
	uvec4	dst[];
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
	uint	i;

	for (i = gl_GlobalInvocationID.x; i < p.n; i += stride)
		dst[i] = src[i];
}
