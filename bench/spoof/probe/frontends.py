#!/usr/bin/python3
"""Countermeasure front-end probe (twenty-sixth session; numpy only, outside the Go countermeasure).
Computes, for a fixed subset of bench/out/spoof/key.tsv (bona fide up to 600 per split and codec,
60 training items per training family and codec, 100 eval items per never-trained family and 40
per training family), two frame-feature sets with the same energy gate (frames within 40 dB of
the loudest): LFCC as the shipped GMMs (30 ms Hamming / 15 ms, 20 linear filters, 20 cepstra +
deltas + double deltas) and CQCC-style constant-Q cepstra (bins from 250 to 3800 Hz, CQB per
octave, Hann kernels of Q periods applied to a long FFT, log power uniformly resampled to CQU
points, DCT to 20, deltas).
Usage (repository root): [CQB=24] [CQU=64] /usr/bin/python3 bench/spoof/probe/frontends.py bench/out/spoof/key.tsv PREFIX
writes PREFIX_meta.npy, PREFIX_lfcc.npy, PREFIX_cqcc.npy; then gmm_lofo.py PREFIX.
"""
import sys, csv, subprocess, numpy as np, os
from concurrent.futures import ProcessPoolExecutor
SR=8000
def read(p):
    raw=subprocess.run(["sox",p,"-t","raw","-e","signed","-b","16","-r","8000","-c","1","-"],capture_output=True).stdout
    return np.frombuffer(raw,"<i2").astype(np.float64)/32768
def deltas(c,w=2):
    T=len(c); pad=np.pad(c,((w,w),(0,0)),mode='edge'); den=2*sum(i*i for i in range(1,w+1))
    return sum(i*(pad[w+i:w+i+T]-pad[w-i:w-i+T]) for i in range(1,w+1))/den
def dct_mat(n_in,n_out):
    k=np.arange(n_out)[:,None]; n=np.arange(n_in)[None,:]
    return np.cos(np.pi*k*(2*n+1)/(2*n_in))*np.sqrt(2/n_in)
# LFCC: 30 ms / 15 ms, 256 FFT, 20 linear triangular filters, 20 ceps, deltas
NL=240; HL=120; NFFT=256
fb=np.zeros((20,NFFT//2+1)); edges=np.linspace(0,SR/2,22); fr=np.linspace(0,SR/2,NFFT//2+1)
for m in range(20):
    l,c,r=edges[m],edges[m+1],edges[m+2]
    fb[m]=np.clip(np.minimum((fr-l)/(c-l),(r-fr)/(r-c)),0,None)
D20=dct_mat(20,20)
def lfcc(x):
    if len(x)<NL: return None
    f=np.lib.stride_tricks.sliding_window_view(x,NL)[::HL]*np.hamming(NL)
    P=np.abs(np.fft.rfft(f,NFFT))**2
    e=10*np.log10(P.sum(1)+1e-12); keep=e>e.max()-40
    c=np.log(P@fb.T+1e-10)@D20.T
    F=np.hstack([c,deltas(c),deltas(deltas(c))])
    return F[keep]
# CQCC-style: constant-Q bins 250..3800 Hz, B bins/octave, via spectral kernel on a long FFT,
# frames centred like LFCC's (hop 15 ms), log power, uniform resampling, DCT 20, deltas.
B=int(os.environ.get('CQB','24')); FMIN=250.0; FMAX=3800.0
Q=1/(2**(1/B)-1)
nb=int(np.floor(B*np.log2(FMAX/FMIN)))+1
fk=FMIN*2**(np.arange(nb)/B)
Nk=np.ceil(Q*SR/fk).astype(int)
NC=int(2**np.ceil(np.log2(Nk.max())))
K=np.zeros((nb,NC//2+1),complex)
for k in range(nb):
    n=Nk[k]; t=np.arange(n)-n/2
    ker=np.zeros(NC,complex); st=NC//2-n//2
    ker[st:st+n]=np.hanning(n)/n*np.exp(2j*np.pi*fk[k]*t/SR)
    K[k]=np.conj(np.fft.fft(ker))[:NC//2+1]/NC
K[np.abs(K)<1e-3*np.abs(K).max()]=0
# uniform resampling of the log-CQ spectrum: linear frequency grid, as CQCC does
NU=int(os.environ.get('CQU','64'))
lin=np.linspace(fk[0],fk[-1],NU)
DU=dct_mat(NU,20)
def cqcc(x):
    if len(x)<NL: return None
    pad=np.pad(x,(NC//2,NC//2))
    centres=np.arange(NL//2,len(x)-NL//2+1,HL)
    f=np.stack([pad[c:c+NC] for c in centres])
    S=np.fft.fft(f,axis=1)[:,:NC//2+1]
    # real signal: kernel applied to positive half (approximation; kernels are narrow-band)
    C=np.abs(S@K.T)**2
    P=np.abs(np.fft.rfft(np.lib.stride_tricks.sliding_window_view(x,NL)[::HL]*np.hamming(NL),NFFT))**2
    e=10*np.log10(P.sum(1)+1e-12); keep=e>e.max()-40
    n=min(len(C),len(keep)); C=C[:n]; keep=keep[:n]
    L=np.log(C+1e-12)
    U=np.stack([np.interp(lin,fk,l) for l in L])
    c=U@DU.T
    F=np.hstack([c,deltas(c),deltas(deltas(c))])
    return F[keep]
def both(p):
    x=read(p)
    return lfcc(x), cqcc(x)
if __name__=='__main__':
    key,out=sys.argv[1],sys.argv[2]
    rows=[r for r in csv.DictReader(open(key),delimiter='\t')]
    train_fams={'espeak-ng','festival-diphone','festival-hts','flite-cg','flite-diphone','replay','replay-room','vocoder-lpc','sam','gnuspeech','neural-vocoder'}
    probe={'griffin-lim','vocoder-hnm','voice-changer','mbrola','rhvoice','pico','freetts'}
    rng=np.random.RandomState(1)
    sel=[]
    cnt={}
    for r in rows:
        f,s,c=r['family'],r['split'],r['codec']
        if f=='bonafide' or (s=='train' and f in train_fams) or (s=='eval' and (f in probe or f in train_fams)):
            k=(f,s,c); cnt[k]=cnt.get(k,0)+1
            lim=600 if f=='bonafide' else (60 if s=='train' else 100)
            if f in train_fams and s=='eval': lim=40
            if cnt[k]<=lim: sel.append(r)
    print(len(sel),'files',file=sys.stderr)
    with ProcessPoolExecutor(2) as ex:
        res=list(ex.map(both,[r['path'] for r in sel],chunksize=8))
    meta=[(r['id'],r['family'],r['split'],r['codec']) for r in sel]
    L=[a for a,b in res]; C=[b for a,b in res]
    np.save(out+'_meta.npy',np.array(meta))
    np.save(out+'_lfcc.npy',np.array(L,dtype=object),allow_pickle=True)
    np.save(out+'_cqcc.npy',np.array(C,dtype=object),allow_pickle=True)
