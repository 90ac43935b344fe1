#!/usr/bin/python3
"""LFCC variants for the same probe: l40 (40 filters, 30 cepstra), lhi (20 filters on 2-4 kHz only),
l64ms (64 ms windows, 512-point FFT, 30 filters). Reads PREFIX_meta.npy from frontends.py.
Usage (repository root): /usr/bin/python3 bench/spoof/probe/frontends_lfcc.py PREFIX
"""
import sys

import numpy as np

from frontends import SR, dct_mat, deltas, read  # the sibling script (run from anywhere: its folder is on sys.path)
def mkfb(n,lo,hi,nfft):
    fb=np.zeros((n,nfft//2+1)); edges=np.linspace(lo,hi,n+2); fr=np.linspace(0,SR/2,nfft//2+1)
    for m in range(n):
        l,c,r=edges[m],edges[m+1],edges[m+2]
        fb[m]=np.clip(np.minimum((fr-l)/(c-l),(r-fr)/(r-c)),0,None)
    return fb
V={'l40':(240,120,256,mkfb(40,0,4000,256),30),'lhi':(240,120,256,mkfb(20,2000,4000,256),20),'l64ms':(512,120,512,mkfb(30,0,4000,512),20)}
def var(x,nl,hl,nfft,fb,nc):
    if len(x)<512: return None
    f=np.lib.stride_tricks.sliding_window_view(x,nl)[::hl]*np.hamming(nl)
    P=np.abs(np.fft.rfft(f,nfft))**2
    # energy gate on the shared 30 ms framing
    g=np.lib.stride_tricks.sliding_window_view(x,240)[::120]
    e=10*np.log10((g**2).sum(1)+1e-12); keep=e>e.max()-40
    n=min(len(P),len(keep)); P=P[:n]; keep=keep[:n]
    c=np.log(P@fb.T+1e-10)@dct_mat(fb.shape[0],nc).T
    F=np.hstack([c,deltas(c),deltas(deltas(c))])
    return F[keep]
def allv(p):
    x=read(p); return [var(x,*V[k]) for k in V]
if __name__=='__main__':
    pre=sys.argv[1]
    meta=np.load(pre+'_meta.npy')
    import csv
    rows={r['id']:r['path'] for r in csv.DictReader(open('bench/out/spoof/key.tsv'),delimiter='\t')}
    from concurrent.futures import ProcessPoolExecutor
    with ProcessPoolExecutor(2) as ex:
        res=list(ex.map(allv,[rows[m[0]] for m in meta],chunksize=8))
    for j,k in enumerate(V):
        np.save(pre+'_'+k+'.npy',np.array([r[j] for r in res],dtype=object),allow_pickle=True)
