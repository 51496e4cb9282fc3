//! The reference graph: strongly connected components in dependency order,
//! grouped into levels that can be processed in parallel.

/// A directed graph over `0..n`; `edges[i]` are the nodes `i` references.
#[derive(Debug, Clone, Default)]
pub(crate) struct Graph {
    edges: Vec<Vec<usize>>,
}

/// Components in dependency order, grouped by level: every component's
/// dependencies (outside itself) are in earlier levels.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Order {
    /// `levels[l]` lists the components of level `l`; a component is a sorted
    /// list of nodes (more than one, or one with a self-edge, means a cycle).
    pub(crate) levels: Vec<Vec<Vec<usize>>>,
}

impl Graph {
    /// A graph with `n` nodes and no edges.
    pub(crate) fn new(n: usize) -> Graph {
        Graph {
            edges: vec![Vec::new(); n],
        }
    }

    /// Adds the edge `from → to` (out-of-range nodes are ignored).
    pub(crate) fn add_edge(&mut self, from: usize, to: usize) {
        if to < self.edges.len() {
            if let Some(e) = self.edges.get_mut(from) {
                e.push(to);
            }
        }
    }

    /// True if `node` references itself.
    pub(crate) fn has_self_edge(&self, node: usize) -> bool {
        self.edges.get(node).is_some_and(|e| e.contains(&node))
    }

    /// Tarjan's algorithm (iterative, so deep chains cannot overflow the stack),
    /// then levels by longest dependency path.
    pub(crate) fn order(&self) -> Order {
        let n = self.edges.len();
        const UNSEEN: usize = usize::MAX;
        let mut index = vec![UNSEEN; n];
        let mut low = vec![0usize; n];
        let mut on_stack = vec![false; n];
        let mut stack = Vec::new();
        let mut comp_of = vec![UNSEEN; n];
        let mut comps: Vec<Vec<usize>> = Vec::new();
        let mut next = 0usize;
        // Call stack of (node, next edge position).
        let mut calls: Vec<(usize, usize)> = Vec::new();
        for root in 0..n {
            if index[root] != UNSEEN {
                continue;
            }
            calls.push((root, 0));
            index[root] = next;
            low[root] = next;
            next += 1;
            stack.push(root);
            on_stack[root] = true;
            while let Some(&mut (v, ref mut pos)) = calls.last_mut() {
                if let Some(&w) = self.edges[v].get(*pos) {
                    *pos += 1;
                    if index[w] == UNSEEN {
                        index[w] = next;
                        low[w] = next;
                        next += 1;
                        stack.push(w);
                        on_stack[w] = true;
                        calls.push((w, 0));
                    } else if on_stack[w] {
                        low[v] = low[v].min(index[w]);
                    }
                    continue;
                }
                calls.pop();
                if let Some(&(parent, _)) = calls.last() {
                    low[parent] = low[parent].min(low[v]);
                }
                if low[v] == index[v] {
                    let mut comp = Vec::new();
                    while let Some(w) = stack.pop() {
                        on_stack[w] = false;
                        comp_of[w] = comps.len();
                        comp.push(w);
                        if w == v {
                            break;
                        }
                    }
                    comp.sort_unstable();
                    comps.push(comp);
                }
            }
        }
        // Tarjan emits components dependencies-first; compute levels in that order.
        let mut level = vec![0usize; comps.len()];
        for (c, members) in comps.iter().enumerate() {
            let mut l = 0;
            for &m in members {
                for &d in &self.edges[m] {
                    let dc = comp_of[d];
                    if dc != c {
                        l = l.max(level[dc] + 1);
                    }
                }
            }
            level[c] = l;
        }
        let depth = level.iter().copied().max().map_or(0, |m| m + 1);
        let mut levels = vec![Vec::new(); depth];
        for (c, members) in comps.into_iter().enumerate() {
            levels[level[c]].push(members);
        }
        for l in &mut levels {
            l.sort();
        }
        Order { levels }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_and_diamond() {
        // 0 -> 1 -> 3, 0 -> 2 -> 3
        let mut g = Graph::new(4);
        g.add_edge(0, 1);
        g.add_edge(0, 2);
        g.add_edge(1, 3);
        g.add_edge(2, 3);
        let o = g.order();
        assert_eq!(
            o.levels,
            vec![vec![vec![3]], vec![vec![1], vec![2]], vec![vec![0]]]
        );
    }

    #[test]
    fn cycles_become_one_component() {
        // 0 -> 1 -> 2 -> 0, 2 -> 3, 4 -> 4
        let mut g = Graph::new(5);
        g.add_edge(0, 1);
        g.add_edge(1, 2);
        g.add_edge(2, 0);
        g.add_edge(2, 3);
        g.add_edge(4, 4);
        let o = g.order();
        assert_eq!(o.levels, vec![vec![vec![3], vec![4]], vec![vec![0, 1, 2]]]);
        assert!(g.has_self_edge(4));
    }

    #[test]
    fn long_chain_does_not_overflow() {
        let n = 200_000;
        let mut g = Graph::new(n);
        for i in 0..n - 1 {
            g.add_edge(i, i + 1);
        }
        assert_eq!(g.order().levels.len(), n);
    }
}
